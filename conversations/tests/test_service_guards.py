"""Every write service checks its own rules: called directly by an outsider (not a member), by a member without the
right (not the creator, not the sender), or with an unknown id, it refuses with the API's 403/404 — and nothing is
written, no file stored, no event queued."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from accounts.services import account_delete
from centrifugo.models import OutboxEvent
from chats import services as chats
from chats.models import Chat, Membership
from chats.tests.helpers import group, private, send, text_upload
from conversations import services as conversations
from messages import services as messages
from messages.models import Message, MessageFile, Reaction
from users.models import User
from users.services import user_update

pytestmark = pytest.mark.django_db

Scene = dict[str, Any]


@pytest.fixture
def scene(creator: User, member: User, outsider: User) -> Scene:
    team = group(creator, member, title="Team")
    pair = private(creator, member)
    first = send(creator, team, "first")
    send(member, pair, "psst")
    elsewhere = send(creator, group(creator, outsider, title="Elsewhere"), "not for member")
    return {
        "creator": creator,
        "member": member,
        "outsider": outsider,
        "team": team,
        "pair": pair,
        "first": first,
        "elsewhere": elsewhere,
    }


def _state() -> tuple[Any, ...]:
    """Everything a write could change: rows, counters, read pointers, names, the outbox."""
    return (
        list(Chat.objects.order_by("pk").values_list("pk", "title", "creator_id", "last_seq", "message_count")),
        list(
            Membership.objects.with_unread()
            .order_by("pk")
            .values_list("pk", "last_read_seq", "unread_count", "muted_until")
        ),
        list(Message.objects.order_by("pk").values_list("pk", "text", "updated_at", "pinned_at")),
        MessageFile.objects.count(),
        Reaction.objects.count(),
        list(User.objects.order_by("pk").values_list("pk", "first_name")),
        OutboxEvent.objects.count(),
    )


REFUSALS: dict[str, tuple[type[Exception], Callable[[Scene], Any]]] = {
    # outsiders
    "outsider changes a group": (
        PermissionDenied,
        lambda s: chats.chat_update(actor=s["outsider"], chat_id=s["team"].pk, title="x"),
    ),
    "outsider adds themself": (
        PermissionDenied,
        lambda s: chats.chat_member_add(actor=s["outsider"], chat_id=s["team"].pk, users=[s["outsider"].pk]),
    ),
    "outsider removes a member": (
        PermissionDenied,
        lambda s: chats.chat_member_remove(actor=s["outsider"], chat_id=s["team"].pk, user_id=s["member"].pk),
    ),
    "outsider leaves a group": (
        PermissionDenied,
        lambda s: chats.chat_leave(actor=s["outsider"], chat_id=s["team"].pk),
    ),
    "outsider deletes a private chat": (
        PermissionDenied,
        lambda s: conversations.chat_delete(actor=s["outsider"], chat_id=s["pair"].pk),
    ),
    "outsider deletes a group": (
        PermissionDenied,
        lambda s: conversations.chat_delete(actor=s["outsider"], chat_id=s["team"].pk),
    ),
    "outsider sends": (
        PermissionDenied,
        lambda s: messages.message_create(sender=s["outsider"], chat_id=s["team"].pk, text="x"),
    ),
    "outsider sends a file": (
        PermissionDenied,
        lambda s: messages.message_create(sender=s["outsider"], chat_id=s["team"].pk, files=[text_upload()]),
    ),
    "outsider edits": (
        PermissionDenied,
        lambda s: messages.message_update(actor=s["outsider"], message_id=s["first"].pk, text="x"),
    ),
    "outsider deletes a message": (
        PermissionDenied,
        lambda s: messages.message_delete(actor=s["outsider"], message_id=s["first"].pk),
    ),
    "outsider reads": (
        PermissionDenied,
        lambda s: messages.message_read(actor=s["outsider"], message_id=s["first"].pk),
    ),
    "outsider reads all": (
        PermissionDenied,
        lambda s: messages.messages_read_all(actor=s["outsider"], chat_id=s["team"].pk),
    ),
    "outsider reacts": (
        PermissionDenied,
        lambda s: messages.message_react(actor=s["outsider"], message_id=s["first"].pk, emoji="👍"),
    ),
    "outsider pins": (
        PermissionDenied,
        lambda s: messages.message_pin(actor=s["outsider"], message_id=s["first"].pk),
    ),
    "outsider forwards into a chat": (
        PermissionDenied,
        lambda s: messages.messages_forward(actor=s["outsider"], chat_id=s["team"].pk, message_ids=[s["first"].pk]),
    ),
    "member forwards a message of a chat they are not in": (
        NotFound,
        lambda s: messages.messages_forward(actor=s["member"], chat_id=s["team"].pk, message_ids=[s["elsewhere"].pk]),
    ),
    "outsider mutes a chat": (PermissionDenied, lambda s: chats.chat_mute(actor=s["outsider"], chat_id=s["team"].pk)),
    "outsider types": (PermissionDenied, lambda s: chats.chat_typing(actor=s["outsider"], chat_id=s["team"].pk)),
    # members without the right
    "member pins in a group": (
        PermissionDenied,
        lambda s: messages.message_pin(actor=s["member"], message_id=s["first"].pk),
    ),
    "member reacts with text": (
        ValidationError,
        lambda s: messages.message_react(actor=s["member"], message_id=s["first"].pk, emoji="ok"),
    ),
    "member changes the group": (
        PermissionDenied,
        lambda s: chats.chat_update(actor=s["member"], chat_id=s["team"].pk, title="x"),
    ),
    "member removes the creator": (
        PermissionDenied,
        lambda s: chats.chat_member_remove(actor=s["member"], chat_id=s["team"].pk, user_id=s["creator"].pk),
    ),
    "member deletes the group": (
        PermissionDenied,
        lambda s: conversations.chat_delete(actor=s["member"], chat_id=s["team"].pk),
    ),
    "member edits another's message": (
        PermissionDenied,
        lambda s: messages.message_update(actor=s["member"], message_id=s["first"].pk, text="x"),
    ),
    "member deletes another's message": (
        PermissionDenied,
        lambda s: messages.message_delete(actor=s["member"], message_id=s["first"].pk),
    ),
    "sender reads their own message": (
        PermissionDenied,
        lambda s: messages.message_read(actor=s["creator"], message_id=s["first"].pk),
    ),
    "creator leaves their group": (
        PermissionDenied,
        lambda s: chats.chat_leave(actor=s["creator"], chat_id=s["team"].pk),
    ),
    "somebody changes another's profile": (
        PermissionDenied,
        lambda s: user_update(actor=s["outsider"], user=s["member"], first_name="x"),
    ),
    "somebody deletes another's account": (
        PermissionDenied,
        lambda s: account_delete(actor=s["outsider"], user_id=s["member"].pk),
    ),
    # unknown and malformed ids
    "unknown chat": (NotFound, lambda s: chats.chat_update(actor=s["creator"], chat_id=uuid.uuid4(), title="x")),
    "malformed chat": (NotFound, lambda s: chats.chat_leave(actor=s["creator"], chat_id="not-a-uuid")),
    "unknown chat deleted": (NotFound, lambda s: conversations.chat_delete(actor=s["creator"], chat_id=uuid.uuid4())),
    "unknown message": (
        NotFound,
        lambda s: messages.message_update(actor=s["creator"], message_id=uuid.uuid4(), text="x"),
    ),
    "unknown message read": (NotFound, lambda s: messages.message_read(actor=s["member"], message_id="nope")),
    "send to an unknown chat": (
        NotFound,
        lambda s: messages.message_create(sender=s["creator"], chat_id=uuid.uuid4(), text="x"),
    ),
    "react to an unknown message": (
        NotFound,
        lambda s: messages.message_react(actor=s["member"], message_id=uuid.uuid4(), emoji="👍"),
    ),
    "unpin an unknown message": (NotFound, lambda s: messages.message_moderate_unpin(message_id=uuid.uuid4())),
    "unknown reaction": (NotFound, lambda s: messages.reaction_moderate_delete(reaction_id=10**9)),
    "unknown account": (NotFound, lambda s: account_delete(actor=s["creator"], user_id=uuid.uuid4())),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_with_nothing_written_or_published(case: str, scene: Scene, settings: Any) -> None:
    refusal, call = REFUSALS[case]
    before = _state()
    stored_before = sorted(p.name for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())
    with pytest.raises(refusal):
        call(scene)
    assert _state() == before
    assert sorted(p.name for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()) == stored_before
