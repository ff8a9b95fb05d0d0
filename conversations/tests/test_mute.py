"""Mute (forever or until a time) and the badge: GET /api/chats/unread/ leaves muted chats out, the `unread` event
tells the member's devices."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chats.models import Membership
from chats.tests.helpers import group, last_event, private, send
from users.models import User

pytestmark = pytest.mark.django_db


def test_muted_chats_keep_their_count_but_leave_the_total(
    as_member: APIClient, creator: User, member: User, django_assert_max_num_queries
) -> None:
    team, pair = group(creator, member), private(creator, member)
    for chat, n in ((team, 3), (pair, 2)):
        for _ in range(n):
            send(creator, chat)
    assert as_member.get("/api/chats/unread/").json() == {"unread_messages": 5, "unread_chats": 2}
    muted = as_member.post(f"/api/chat/{team.pk}/mute/", {}, format="json")
    assert muted.status_code == 200
    assert (muted.json()["is_muted"], muted.json()["muted_until"], muted.json()["unread_messages_count"]) == (
        True,
        None,
        3,
    )
    assert last_event().data == {
        "event": "unread",
        "chat": {"id": str(team.pk)},
        "totals": {"unread_messages": 2, "unread_chats": 1},
    }
    assert last_event().channels == [f"chats:{member.pk}"]
    with django_assert_max_num_queries(2):  # auth, one aggregate
        assert as_member.get("/api/chats/unread/").json() == {"unread_messages": 2, "unread_chats": 1}
    unmuted = as_member.delete(f"/api/chat/{team.pk}/mute/")
    assert unmuted.json()["is_muted"] is False and unmuted.json()["muted_until"] is None
    assert as_member.get("/api/chats/unread/").json() == {"unread_messages": 5, "unread_chats": 2}


def test_until_a_time(as_member: APIClient, creator: User, member: User) -> None:
    chat = group(creator, member)
    send(creator, chat)
    until = timezone.now() + datetime.timedelta(hours=2)
    body = as_member.post(f"/api/chat/{chat.pk}/mute/", {"until": until.isoformat()}, format="json").json()
    assert body["is_muted"] is True and body["muted_until"].startswith(until.strftime("%Y-%m-%dT%H:%M"))
    assert as_member.get("/api/chats/unread/").json()["unread_messages"] == 0
    # Once the time has passed the chat counts again, without anybody writing anything.
    Membership.objects.filter(chat=chat, user=member).update(muted_until=timezone.now() - datetime.timedelta(seconds=1))
    assert as_member.get(f"/api/chat/{chat.pk}/").json()["is_muted"] is False
    assert as_member.get("/api/chats/unread/").json()["unread_messages"] == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [({"until": "2000-01-01T00:00:00Z"}, 400), ({"until": "soon"}, 400), ({"until": 5}, 400)],
)
def test_bad_input(as_member: APIClient, creator: User, member: User, body: dict, status: int) -> None:
    chat = group(creator, member)
    response = as_member.post(f"/api/chat/{chat.pk}/mute/", body, format="json")
    assert response.status_code == status and "until" in response.json()
    assert Membership.objects.get(chat=chat, user=member).muted_until is None


def test_members_only(as_outsider: APIClient, as_member: APIClient, creator: User, member: User) -> None:
    chat = group(creator, member)
    assert as_outsider.post(f"/api/chat/{chat.pk}/mute/").status_code == 403
    assert as_outsider.delete(f"/api/chat/{chat.pk}/mute/").status_code == 403
    assert as_member.post(f"/api/chat/{uuid.uuid4()}/mute/").status_code == 404


def test_the_total_is_the_sum_of_the_unmuted_chat_counts(
    as_member: APIClient, creator: User, member: User, outsider: User
) -> None:
    """The badge's SQL and the chats' counts agree whatever moved the pointers: own messages, reads, deletions."""
    from messages import services

    team, pair, other = group(creator, member, outsider), private(creator, member), group(outsider, member)
    sent = [send(creator, team) for _ in range(4)] + [send(creator, pair) for _ in range(2)]
    send(member, team)
    send(outsider, other)
    services.message_read(actor=member, message_id=sent[1].pk)
    services.message_delete(actor=creator, message_id=sent[3].pk)
    services.message_delete(actor=creator, message_id=sent[5].pk)
    as_member.post(f"/api/chat/{other.pk}/mute/", {}, format="json")
    chats = {chat["id"]: chat for chat in as_member.get("/api/chats/").json()["results"]}
    counts = {pk: chat["unread_messages_count"] for pk, chat in chats.items()}
    assert counts == {str(team.pk): 1, str(pair.pk): 1, str(other.pk): 1}
    unmuted = [n for pk, n in counts.items() if not chats[pk]["is_muted"]]
    assert as_member.get("/api/chats/unread/").json() == {
        "unread_messages": sum(unmuted),
        "unread_chats": sum(1 for n in unmuted if n),
    }
