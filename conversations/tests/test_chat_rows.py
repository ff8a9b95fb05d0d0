"""ChatShape as the chat list and the chat detail show it — three queries per page, members written by
PostgreSQL — against a reference built independently from the models, field by field of the declaration."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from application.shapes import Rendered
from chats.models import Chat, Membership
from chats.services import chat_mute
from chats.tests.helpers import group, private, send, text_upload
from conversations.shapes import ChatShape
from messages.models import Mention, Message
from messages.services import message_pin, message_react, message_read
from messages.tests.test_shapes import reference_message
from users.models import User
from users.tests.helpers import tricky_users
from users.tests.test_shapes import reference_user

_DATETIME = serializers.DateTimeField()


def reference_chat(chat_id: object, viewer: User) -> dict[str, Any]:
    """The chat from the models, as `viewer` sees it: a private chat's title and avatar are the other member's."""
    chat = Chat.objects.select_related("creator").get(pk=chat_id)
    memberships = list(
        Membership.objects.with_unread().filter(chat=chat).select_related("user").order_by("joined_at", "id")
    )
    users = [m.user for m in memberships]
    big = len(memberships) > settings.CONSTANTS.CONTRACT_GROUP_MAX_MEMBERS
    other = next((u for u in users if u.pk != viewer.pk), None)
    title, avatar = chat.title, (chat.avatar.storage.url(chat.avatar.name) if chat.avatar else None)
    if chat.is_private:
        title = (f"{other.first_name} {other.last_name}".strip() or other.username) if other else chat.title
        avatar = other.avatar.storage.url(other.avatar.name) if other and other.avatar else None
    data = {
        "id": str(chat.pk),
        "title": title,
        "members": [reference_user(u) for u in users],
        "creator": reference_user(chat.creator) if chat.creator else None,
        "avatar": avatar,
        "created_at": _DATETIME.to_representation(chat.created_at),
        "updated_at": _DATETIME.to_representation(chat.updated_at),
        "is_private": chat.is_private,
        "last_message": reference_message(chat.last_message_id, viewer) if chat.last_message_id else None,
        "unread_messages_count": next(m.unread_count for m in memberships if m.user_id == viewer.pk),
        "is_muted": (mine := next(m for m in memberships if m.user_id == viewer.pk)).muted_until is not None
        and mine.muted_until > timezone.now(),
        "muted_until": _DATETIME.to_representation(mine.muted_until)
        if mine.muted_until and mine.muted_until > timezone.now() and mine.muted_until.year < 9999
        else None,
        "unread_mentions_count": Mention.objects.filter(
            user=viewer, chat=chat, seq__gt=next(m.last_read_seq for m in memberships if m.user_id == viewer.pk)
        ).count(),
        "pinned_message": reference_message(pin.pk, viewer) if (pin := _latest_pin(chat)) else None,
        "members_count": len(memberships),
        "channel": f"chat:{chat.pk}" if big else str(viewer.pk),
    }
    if big:  # a big group lists neither its members nor readers
        data["members"] = []
        for message in (data["last_message"], data["pinned_message"]):
            if message:
                message["was_read_by"] = []
    assert list(data) == list(ChatShape.fields)
    return data


def _latest_pin(chat: Chat) -> Message | None:
    pins = [m for m in Message.objects.filter(chat=chat) if m.pinned_at is not None]
    return max(pins, key=lambda m: m.pinned_at, default=None)


def _scene(make_user) -> tuple[User, list[Chat]]:
    viewer = make_user()
    tricky = tricky_users(make_user)
    chat = group(tricky[0], viewer, *tricky[1:], title='группа "g"')
    first = send(tricky[1], chat, "first")
    second = send(viewer, chat, "second")
    send(tricky[1], chat, f"@{viewer.username} look")
    send(tricky[1], chat, f"and you @{viewer.username}")
    message_read(actor=tricky[2], message_id=first.pk)
    # Pins: the latest one shows (pinned twice: the second pin wins); a reaction on a pinned message.
    message_pin(actor=tricky[0], message_id=second.pk)
    message_pin(actor=tricky[0], message_id=first.pk)
    message_react(actor=viewer, message_id=first.pk, emoji="🔥")
    pairs = [private(viewer, other) for other in (tricky[4], tricky[1])]  # unsafe avatar name; emoji names
    send(tricky[4], pairs[0], "psst")
    # A last message with files that replies to a tricky sender's message.
    hello = send(tricky[1], pairs[1], "hi 😀")
    message_pin(actor=viewer, message_id=hello.pk)  # either member pins in a private chat
    chat_mute(actor=viewer, chat_id=pairs[0].pk)  # until unmuted
    chat_mute(actor=viewer, chat_id=pairs[1].pk, until=timezone.now() + timedelta(hours=1))
    message_pin(actor=viewer, message_id=hello.pk, pinned=False)
    send(viewer, pairs[1], "re", files=[text_upload("a b.txt"), text_upload("c.txt")], reply_to=hello.pk)
    # A group whose creator's account is gone (creator null).
    founder = make_user()
    orphan = group(founder, viewer, title="orphan")
    send(viewer, orphan, "still here")
    founder.delete()
    return viewer, [*pairs, chat, orphan]


def test_list_and_details_equal_the_reference(make_user, client_for, django_assert_num_queries) -> None:
    viewer, chats = _scene(make_user)
    client = client_for(viewer)
    client.get("/api/chats/")  # the presence write (throttled) happens once, before the counts
    with django_assert_num_queries(2):  # authentication, the page with its count (members, last messages: all in one)
        response = client.get("/api/chats/")
    assert isinstance(response.data["results"][0], Rendered)  # written by PostgreSQL
    listed = response.json()["results"]
    assert sorted(listed, key=lambda c: c["id"]) == sorted(
        (reference_chat(chat.pk, viewer) for chat in chats), key=lambda c: c["id"]
    )
    for data in listed:
        ChatShape.check(data)
    for chat in chats:
        with django_assert_num_queries(2):  # authentication, the chat (members, last message)
            detail = client.get(f"/api/chat/{chat.pk}/")
        assert detail.json() == reference_chat(chat.pk, viewer)


def test_a_big_group_lists_neither_members_nor_readers(make_user, client_for, settings) -> None:
    # Above the contract's group size (lowered here): `members_count` instead of the list, no readers.
    viewer, chats = _scene(make_user)
    settings.CONSTANTS = dataclasses.replace(settings.CONSTANTS, CONTRACT_GROUP_MAX_MEMBERS=3)
    client = client_for(viewer)
    listed = {c["id"]: c for c in client.get("/api/chats/").json()["results"]}
    big, small = listed[str(chats[2].pk)], listed[str(chats[0].pk)]
    assert (big["members"], big["members_count"], big["channel"]) == ([], 7, f"chat:{chats[2].pk}")
    assert big["last_message"]["was_read_by"] == []
    assert len(small["members"]) == small["members_count"] == 2 and small["channel"] == str(viewer.pk)
    for chat in chats:
        assert client.get(f"/api/chat/{chat.pk}/").json() == reference_chat(chat.pk, viewer)
    page = client.get("/api/messages/", {"chat": str(chats[2].pk)}).json()["results"]
    assert page and all(message["was_read_by"] == [] for message in page)
    # Its members, a page at a time, in join order (as `members` lists them in other chats).
    joined = Membership.objects.filter(chat=chats[2]).select_related("user").order_by("joined_at", "id")
    listed_members = [
        *client.get(f"/api/chat/{chats[2].pk}/members/", {"page_size": 4}).json()["results"],
        *client.get(f"/api/chat/{chats[2].pk}/members/", {"page_size": 4, "page": 2}).json()["results"],
    ]
    assert listed_members == [reference_user(m.user) for m in joined]
    outsider = client_for(make_user())
    assert outsider.get(f"/api/chat/{chats[2].pk}/members/").status_code == 403


def test_browsable_api_and_indent(make_user, client_for) -> None:
    viewer, _chats = _scene(make_user)
    client = client_for(viewer)
    expected = client.get("/api/chats/").json()
    indented = client.get("/api/chats/", HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.startswith(b"{\n") and indented.json() == expected
    html = client.get("/api/chats/", HTTP_ACCEPT="text/html")
    assert html.status_code == 200
    assert f"&quot;username&quot;: &quot;{viewer.username}&quot;".encode() in html.content
