"""Chats as one member sees them (ChatShape rows): a page of the chat list, or one chat. A page costs three
queries whatever its size: the chats (with creators and the viewer's unread counts), the members of all of them,
and their last messages (with files); the last messages' readers come from the members at hand."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import orjson
from django.db.models import F, FilteredRelation, Func, IntegerField, OuterRef, Q, Subquery
from django.utils import timezone

from application.ids import AnyId
from application.pagination import TimeCursor
from application.shapes import RenderContext, Rendered
from centrifugo.events import PERSONAL
from chats.events import CHAT
from chats.models import MUTED_FOREVER, Chat
from chats.selectors import MemberJSON, is_big, member_json, parse_uuid, raise_not_member_or_missing
from conversations.shapes import ChatRow
from messages.models import Mention, Message
from messages.selectors import attach_readers, message_rows
from users.models import User
from users.shapes import UserRow

# The chat list is ordered by last activity, newest first (cursors: `before`/`after`, or the contract's pages).
CHAT_LIST_CURSOR = TimeCursor("last_activity_at")

_CREATOR = UserRow.columns("creator__")


class UnreadMentions(Func):
    """The viewer's mentions in the chat after their read pointer: an index range of (user, chat, seq), counted
    from committed rows, so it is exact whatever is sent or read concurrently."""

    output_field = IntegerField()
    template = f"(SELECT count(*) FROM {Mention._meta.db_table} WHERE user_id = %%s AND chat_id = %(expressions)s)"
    arg_joiner = " AND seq > "

    def __init__(self, viewer: User) -> None:
        self.viewer_id = viewer.pk
        super().__init__(F("pk"), F("mine__last_read_seq"))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        sql, params = super().as_sql(compiler, connection, **extra)
        return sql, [self.viewer_id, *params]


def chat_rows(viewer: User, chat_ids: Iterable[uuid.UUID], context: RenderContext) -> list[ChatRow]:
    """The viewer's chats among `chat_ids`, in that order."""
    ids = list(chat_ids)
    if not ids:
        return []
    latest_pin = Message.objects.filter(chat=OuterRef("pk"), pinned_at__isnull=False).order_by("-pinned_at")
    chats = (
        Chat.objects.filter(pk__in=ids)
        .annotate(mine=FilteredRelation("memberships", condition=Q(memberships__user=viewer)))
        .filter(mine__isnull=False)
        .annotate(pin_id=Subquery(latest_pin.values("pk")[:1]), mentions=UnreadMentions(viewer))
        .annotate(unread=F("last_seq") - F("mine__last_read_seq") - F("mine__skipped_after"))
        .values_list(
            "id",
            "title",
            "avatar",
            "is_private",
            "created_at",
            "updated_at",
            "last_message_id",
            "unread",
            "last_activity_at",
            "pin_id",
            "mentions",
            "mine__muted_until",
            *_CREATOR,
        )
    )
    found = {values[0]: values for values in chats}
    members = member_json(found, context)
    # The last messages and the latest pins: one query.
    wanted = {message_id for values in found.values() for message_id in (values[6], values[9]) if message_id}
    messages = {row.id: row for row in message_rows(Message.objects.filter(pk__in=wanted), viewer)}
    attach_readers(messages.values(), context, members)
    viewer_id = str(viewer.pk)
    context_now = timezone.now()
    rows = []
    for chat_id in ids:
        if chat_id not in found:
            continue
        values = found[chat_id]
        _id, title, avatar, is_private, created_at, updated_at, last_id, unread, last_activity_at, pin_id = values[:10]
        mentions, muted_until = values[10:12]
        creator = values[12:]
        is_muted = muted_until is not None and muted_until > context_now
        chat_members = members[chat_id]
        avatar_value: str | Rendered | None = avatar or None
        if is_private:
            title, avatar_value = _as_the_other_member(chat_members, viewer_id, title)
        rows.append(
            ChatRow(
                id=chat_id,
                title=title,
                members=Rendered.array(member.json for member in chat_members),
                creator=UserRow(*creator) if creator[0] is not None else None,
                avatar=avatar_value,
                created_at=created_at,
                updated_at=updated_at,
                is_private=is_private,
                last_message=messages.get(last_id),
                unread_messages_count=unread,
                pinned_message=messages.get(pin_id),
                unread_mentions_count=mentions,
                is_muted=is_muted,
                muted_until=muted_until if is_muted and muted_until != MUTED_FOREVER else None,
                channel=CHAT.channel(chat_id) if is_big(len(chat_members)) else PERSONAL.channel(viewer_id),
                last_activity_at=last_activity_at,
            )
        )
    return rows


def _as_the_other_member(members: list[MemberJSON], viewer_id: str, title: str) -> tuple[str, Rendered | None]:
    """A private chat's title and avatar: the other member's name (or username) and avatar URL."""
    other = next((member for member in members if member.user_id != viewer_id), None)
    if other is None:
        return title, None
    user = orjson.loads(other.json)
    name = f"{user['first_name']} {user['last_name']}".strip() or user["username"]
    return name, Rendered(orjson.dumps(user["avatar"])) if user["avatar"] else None


def chat_row_for_user(viewer: User, chat_id: AnyId, context: RenderContext) -> ChatRow:
    """A chat as its member sees it: 404 if unknown, 403 if the viewer is not a member."""
    chat_uuid = parse_uuid(chat_id)
    rows = chat_rows(viewer, [chat_uuid], context)
    if not rows:
        raise_not_member_or_missing(chat_uuid)
    return rows[0]
