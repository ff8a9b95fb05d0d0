"""Every read query on messages. A page costs: the page, its files, and the chat's readers — whatever its size."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied

from chats.models import Chat, Membership
from chats.selectors import member_rows, parse_uuid
from messages.models import Message, MessageFile
from users import json_sql
from users.models import User
from users.serializers import UserDicts

# Readers per chat id: membership rows (chats.selectors.member_rows) whose pointer reaches at least the oldest
# message at hand.
Readers = dict[object, list[tuple]]


def _for_serializer(messages: QuerySet[Message]) -> QuerySet[Message]:
    return messages.select_related("sender", "reply_to", "reply_to__sender").prefetch_related(
        Prefetch("files", queryset=MessageFile.objects.order_by("id"))
    )


def for_page(messages: QuerySet[Message], users: UserDicts | None) -> QuerySet[Message]:
    """A page's messages as the serializer reads them. Where PostgreSQL writes the users (users.json_sql), the
    sender and the replied-to message's sender come as JSON text and the files as an array of names: no user or
    file instances per row, and no second query for the files (most of a short page's Python time)."""
    sender = json_sql.user_json_columns(users, "sender__")
    reply_sender = json_sql.user_json_columns(users, "reply_to__sender__")
    if sender is None or reply_sender is None:
        return _for_serializer(messages)
    files = MessageFile.objects.filter(message=OuterRef("pk")).order_by("id").values("item")
    return messages.select_related("reply_to").annotate(
        sender_json=sender[0],
        sender_unsafe_avatar=sender[1],
        reply_sender_json=reply_sender[0],
        reply_sender_unsafe_avatar=reply_sender[1],
        file_names=ArraySubquery(files),
    )


def message_list(chat: Chat, *, search: str | None = None, users: UserDicts | None = None) -> QuerySet[Message]:
    """A chat's messages, newest first (the (chat, seq) index); `search` matches text and the sender's names.
    `users`: the response's UserDicts, which lets PostgreSQL write the users (see `for_page`)."""
    messages = Message.objects.filter(chat=chat)
    if search:
        messages = messages.filter(
            Q(text__icontains=search)
            | Q(sender__username__icontains=search)
            | Q(sender__first_name__icontains=search)
            | Q(sender__last_name__icontains=search)
        )
    return for_page(messages, users).order_by("-seq")


def message_get_for_user(
    user: User, message_id: object, *, lock_membership: bool = False
) -> tuple[Message, Membership]:
    """A message and the viewer's membership of its chat: 404 if unknown, 403 if the viewer is not a member."""
    message_uuid = parse_uuid(message_id)
    message = _for_serializer(Message.objects.filter(pk=message_uuid).select_related("chat")).first()
    if message is None:
        raise NotFound()
    memberships = Membership.objects.select_for_update() if lock_membership else Membership.objects
    membership = memberships.filter(chat_id=message.chat_id, user=user).first()
    if membership is None:
        raise PermissionDenied(_("You are not a member of this chat."))
    membership.chat = message.chat
    return message, membership


def message_readers(messages: Iterable[Message], users: UserDicts | None = None) -> Readers:
    """One query for `was_read_by` of any number of messages: members whose read pointer reaches the oldest
    of them. Each message then keeps those at or past its own seq (see MessageSerializer). `users`: the
    response's UserDicts, which lets PostgreSQL write the users (users.json_sql)."""
    messages = list(messages)
    if not messages:
        return {}
    chat_ids = {m.chat_id for m in messages}
    oldest = min(m.seq for m in messages)
    memberships = Membership.objects.filter(chat_id__in=chat_ids, last_read_seq__gte=oldest).order_by("joined_at", "id")
    return member_rows(memberships, chat_ids, users)


def _cursor_uuid(message_id: object) -> uuid.UUID:
    try:
        return parse_uuid(message_id)
    except NotFound as exc:
        raise NotFound(_("Unknown cursor message.")) from exc


def message_seq_in_chat(chat: Chat, message_id: object) -> int:
    """The seq of a cursor message of this chat (unknown, malformed or from another chat: 404)."""
    seq = Message.objects.filter(pk=_cursor_uuid(message_id), chat=chat).values_list("seq", flat=True).first()
    if seq is None:
        raise NotFound(_("Unknown cursor message."))
    return seq


def message_seq_subquery(chat: Chat, message_id: object) -> Subquery:
    """The cursor's seq inside the page's own query (one round trip fewer per cursor page). It is NULL, and the
    page empty, for a cursor that is not a message of this chat: the paginator then asks `message_seq_in_chat`,
    which answers 404. A malformed id is 404 at once."""
    return Subquery(Message.objects.filter(pk=_cursor_uuid(message_id), chat=chat).values("seq")[:1])
