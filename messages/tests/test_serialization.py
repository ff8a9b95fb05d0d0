"""The built-directly representations of chats and messages equal the DRF fields they replace (REST and events)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient, APIRequestFactory

from chats.models import Chat, Membership
from chats.tests.helpers import group, last_event, ogg_upload, private, send, text_upload
from messages.models import Message
from messages.serializers import MessageSerializer, as_json
from messages.services import message_read
from users.models import User
from users.serializers import UserSerializer

REQUEST = APIRequestFactory().get("/")


def reference_message(message_id: Any) -> dict[str, Any]:
    """The message through the DRF fields declared on MessageSerializer and UserSerializer (model instances)."""
    message = Message.objects.select_related("sender", "reply_to__sender").get(pk=message_id)
    memberships = Membership.objects.filter(chat_id=message.chat_id).select_related("user").order_by("joined_at", "id")
    readers = [
        m.user
        for m in sorted(memberships, key=lambda m: -m.last_read_seq)
        if m.last_read_seq >= message.seq and m.user_id != message.sender_id
    ]
    context = {"request": REQUEST, "readers": {}}
    data = serializers.ModelSerializer.to_representation(MessageSerializer(message, context=context), message)
    data["was_read_by"] = UserSerializer(readers, many=True, context=context).data
    return as_json(data)


def reference_chat(chat_id: Any, viewer: User) -> dict[str, Any]:
    chat = Chat.objects.select_related("creator").get(pk=chat_id)
    memberships = list(Membership.objects.filter(chat=chat).select_related("user").order_by("joined_at", "id"))
    users = [m.user for m in memberships]
    other = next((u for u in users if u.pk != viewer.pk), None)
    title, avatar = chat.title, (REQUEST.build_absolute_uri(chat.avatar.url) if chat.avatar else None)
    if chat.is_private:
        title = (f"{other.first_name} {other.last_name}".strip() or other.username) if other else chat.title
        avatar = REQUEST.build_absolute_uri(other.avatar.url) if other and other.avatar else None
    context = {"request": REQUEST}
    field = serializers.DateTimeField()
    return as_json(
        {
            "id": chat.pk,
            "title": title,
            "members": UserSerializer(users, many=True, context=context).data,
            "creator": UserSerializer(chat.creator, context=context).data if chat.creator else None,
            "avatar": avatar,
            "created_at": field.to_representation(chat.created_at),
            "updated_at": field.to_representation(chat.updated_at),
            "is_private": chat.is_private,
            "last_message": reference_message(chat.last_message_id) if chat.last_message_id else None,
            "unread_messages_count": next(m.unread_count for m in memberships if m.user_id == viewer.pk),
        }
    )


def _scene(make_user) -> tuple[User, User, Chat, Chat, list[Message]]:
    creator = make_user(avatar="avatars/a/creator.png", bio="hi")
    member = make_user(bio=None, last_online_at=timezone.now() - timedelta(days=1))
    others = [make_user(first_name="", last_name="") for _ in range(4)]
    chat = group(creator, member, *others, title="g")
    first = send(creator, chat, "first", voice=ogg_upload(), files=[text_upload("a.txt"), text_upload("b.txt")])
    second = send(member, chat, "second", reply_to=first.pk)
    third = send(others[0], chat, "third", files=[text_upload()])
    message_read(actor=member, message_id=first.pk)
    message_read(actor=others[1], message_id=third.pk)
    message_read(actor=creator, message_id=second.pk)
    pair = private(member, others[2])
    send(others[2], pair, "psst")
    return creator, member, chat, pair, [first, second, third]


def test_messages_equal_drf_fields(make_user, client_for) -> None:
    _creator, member, chat, _pair, messages = _scene(make_user)
    client: APIClient = client_for(member)
    body = client.get("/api/messages/", {"chat": str(chat.pk)}).json()
    assert body["results"] == [reference_message(m.pk) for m in reversed(messages)]
    for message in messages:
        assert client.get(f"/api/message/{message.pk}/").json() == reference_message(message.pk)


def test_chats_equal_drf_fields(make_user, client_for) -> None:
    _creator, member, chat, pair, _messages = _scene(make_user)
    client: APIClient = client_for(member)
    listed = client.get("/api/chats/").json()
    assert listed["count"] == 2
    assert listed["results"] == [reference_chat(pair.pk, member), reference_chat(chat.pk, member)]
    assert client.get(f"/api/chat/{pair.pk}/").json() == reference_chat(pair.pk, member)


def test_event_of_a_send_equals_the_drf_fields(make_user, client_for) -> None:
    _creator, member, chat, _pair, messages = _scene(make_user)
    response = client_for(member).post(
        "/api/messages/",
        {
            "chat": str(chat.pk),
            "text": "x",
            "voice": ogg_upload(),
            "reply_to": str(messages[0].pk),
            "files": [text_upload("c.txt"), text_upload("d.txt")],
        },
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json() == reference_message(response.json()["id"])
    assert last_event().data["message"] == response.json()
