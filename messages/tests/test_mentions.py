"""Mentions: `@username` of members becomes `mentions`; each chat's `unread_mentions_count` follows the read
pointer exactly; GET /api/mentions/ lists them across chats."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from chats.services import chat_leave
from chats.tests.helpers import group, private, send
from messages.models import Mention
from messages.services import message_read, message_update, messages_forward, messages_read_all
from users.models import User

pytestmark = pytest.mark.django_db


def _unread_mentions(client: APIClient, chat) -> int:
    return client.get(f"/api/chat/{chat.pk}/").json()["unread_mentions_count"]


def test_who_is_mentioned(make_user, creator: User, member: User, outsider: User) -> None:
    bob = make_user(username="Bob.Smith")
    chat = group(creator, member, bob)
    text = (
        f"hi @{member.username}, @bob.smith. and @{outsider.username} (not a member), "
        f"@{creator.username} (the sender), mail x@{member.username}"
    )
    message = send(creator, chat, text)
    assert sorted(Mention.objects.filter(message=message).values_list("user_id", flat=True)) == sorted(
        [member.pk, bob.pk]
    )


def test_unread_mentions_follow_the_pointer(as_member: APIClient, creator: User, member: User, client_for) -> None:
    chat = group(creator, member)
    first = send(creator, chat, f"@{member.username} one")
    send(creator, chat, "no mention")
    third = send(creator, chat, f"two @{member.username}")
    assert third.pk and _unread_mentions(as_member, chat) == 2
    body = as_member.get(f"/api/message/{third.pk}/").json()
    assert body["mentions"] == [str(member.pk)]
    assert client_for(creator).get(f"/api/chat/{chat.pk}/").json()["unread_mentions_count"] == 0
    message_read(actor=member, message_id=first.pk)
    assert _unread_mentions(as_member, chat) == 1
    messages_read_all(actor=member, chat_id=chat.pk)
    assert _unread_mentions(as_member, chat) == 0


def test_edits_change_mentions_and_forwards_mention_nobody(creator: User, member: User, outsider: User) -> None:
    chat = group(creator, member, outsider)
    message = send(creator, chat, f"@{member.username}")
    message_update(actor=creator, message_id=message.pk, text=f"sorry, @{outsider.username}")
    assert list(Mention.objects.filter(message=message).values_list("user_id", flat=True)) == [outsider.pk]
    copies = messages_forward(actor=creator, chat_id=chat.pk, message_ids=[message.pk])
    assert copies[0].data["mentions"] == []


def test_the_list_across_chats(as_member: APIClient, creator: User, member: User, outsider: User) -> None:
    team = group(creator, member, outsider)
    pair = private(outsider, member)
    send(creator, team, f"@{member.username} a")
    send(outsider, pair, f"@{member.username} b")
    send(outsider, team, "no")
    body = as_member.get("/api/mentions/", {"page_size": 1}).json()
    assert body["count"] == 2 and [m["text"] for m in body["results"]] == ["@" + member.username + " b"]
    assert [m["text"] for m in as_member.get(body["next"]).json()["results"]] == [f"@{member.username} a"]
    chat_leave(actor=member, chat_id=team.pk)
    assert as_member.get("/api/mentions/").json()["count"] == 1
    assert as_member.get("/api/mentions/", {"before": "garbage"}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_exact_under_concurrent_sends_and_reads(make_user) -> None:
    """Sends that mention a member race with that member's reads: afterwards the count is exactly the mentions
    after the pointer (it is counted, never kept)."""
    sender, reader = make_user(), make_user()
    chat = group(sender, reader)
    errors: list[BaseException] = []

    def sends() -> None:
        try:
            for n in range(15):
                send(sender, chat, f"@{reader.username} {n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def reads() -> None:
        try:
            for _ in range(15):
                messages_read_all(actor=reader, chat_id=chat.pk)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sends), threading.Thread(target=reads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    pointer = reader.memberships.get(chat=chat).last_read_seq
    expected = Mention.objects.filter(user=reader, chat=chat, seq__gt=pointer).count()
    from application.shapes import RenderContext
    from conversations.selectors import chat_row_for_user

    assert chat_row_for_user(reader, chat.pk, RenderContext()).json["unread_mentions_count"] == expected
    messages_read_all(actor=reader, chat_id=chat.pk)
    assert chat_row_for_user(reader, chat.pk, RenderContext()).json["unread_mentions_count"] == 0
