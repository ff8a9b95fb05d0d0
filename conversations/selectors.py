"""Chats as one member sees them (ChatShape rows): a page of the chat list, or one chat.

A page is one query, in SQL generated once per process (application.shapes_sql): the chats with the viewer's
unread counts, mutes and unread mentions, their creators, members, last messages and latest pins (with files,
replies, forwards, mentions, reactions and readers) as JSON written by PostgreSQL from the shapes' declarations.
Python adds what differs per viewer beyond those: a private chat's title and avatar (the other member's) and the
channel of its message events.

In a group with more members than the contract's groups have (chats.selectors.is_big) the members and readers are
not listed (`members_count` says how many; docs/api-chats.md, "Big groups").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import orjson
from django.conf import settings
from django.db import connections, router
from django.utils import timezone

from application.ids import AnyId
from application.pagination import TimeCursor
from application.shapes import Param, RenderContext, Rendered, SQLContext
from application.shapes_sql import SQL, SQLOnce, columns, fix_urls, json_array, json_object
from centrifugo.events import PERSONAL
from chats.events import CHAT as CHAT_CHANNEL
from chats.models import MUTED_FOREVER, Chat, Membership
from chats.selectors import is_big, parse_uuid, raise_not_member_or_missing
from conversations.shapes import ChatRow
from messages.selectors import MENTION, MESSAGE, MESSAGE_JOINS, USER, VIEWER, message_json_sql
from users.models import User
from users.shapes import UserShape

# The chat list is ordered by last activity, newest first (cursors: `before`/`after`, or the contract's pages).
CHAT_LIST_CURSOR = TimeCursor("last_activity_at")

CHAT, MEMBERSHIP = Chat._meta.db_table, Membership._meta.db_table
_VIEWER, _LIMIT, _OFFSET, _AT, _ID, _IDS = (
    VIEWER,
    Param("limit"),
    Param("offset"),
    Param("at"),
    Param("id"),
    Param("ids"),
)
_BIG = Param("big")


def _rows_sql(context: SQLContext, page: SQL, order: str) -> SQL:
    """The rows of the chats a CTE `page` selects (its own order: `order`), as the viewer sees them."""
    member = json_object(UserShape, columns(UserShape, User, "u"), context)
    creator = json_object(UserShape, columns(UserShape, User, "cu"), context)
    message = message_json_sql(context)
    sql = (
        f"WITH page AS ({page[0]}), "
        # Computed once each (a CTE read more than once, or by a subquery per row, is not to be inlined).
        f"counts AS MATERIALIZED (SELECT chat_id, count(*) AS n FROM {MEMBERSHIP} "
        "WHERE chat_id IN (SELECT id FROM page) GROUP BY chat_id), "
        # Members (and so readers) are listed in chats that are not big.
        f"members AS MATERIALIZED (SELECT mm.chat_id, mm.user_id, mm.last_read_seq, mm.joined_at, mm.id, "
        f"{member[0]} AS json "
        f"FROM {MEMBERSHIP} mm JOIN {USER} u ON u.id = mm.user_id "
        "WHERE mm.chat_id IN (SELECT chat_id FROM counts WHERE n <= %s)), "
        "readers AS (SELECT * FROM members) "
        "SELECT c.id, c.title, c.avatar, c.is_private, c.created_at, c.updated_at, c.last_activity_at, "
        "c.last_seq - mine.last_read_seq - mine.skipped_after, coalesce(k.n, 0), mine.muted_until, "
        # The viewer's mentions after their read pointer: an index range of (user, chat, seq).
        f"(SELECT count(*) FROM {MENTION} mn WHERE mn.user_id = mine.user_id AND mn.chat_id = c.id "
        "AND mn.seq > mine.last_read_seq), "
        f"CASE WHEN cu.id IS NULL THEN NULL ELSE {creator[0]} END, "
        f"(SELECT {json_array('x.json', 'x.joined_at, x.id')} FROM members x WHERE x.chat_id = c.id), "
        f"(SELECT {message[0]} FROM {MESSAGE} m {MESSAGE_JOINS[0]} WHERE m.id = c.last_message_id), "
        # The latest pin (the partial (chat, pinned_at) index).
        f"(SELECT {message[0]} FROM {MESSAGE} m {MESSAGE_JOINS[0]} WHERE m.chat_id = c.id "
        "AND m.pinned_at IS NOT NULL ORDER BY m.pinned_at DESC LIMIT 1), "
        # A private chat shows the other member's name and avatar.
        "CASE WHEN c.is_private THEN (SELECT x.json FROM members x WHERE x.chat_id = c.id AND x.user_id <> %s "
        "ORDER BY x.joined_at, x.id LIMIT 1) END "
        f"FROM page c JOIN {MEMBERSHIP} mine ON mine.chat_id = c.id AND mine.user_id = %s "
        f"LEFT JOIN counts k ON k.chat_id = c.id LEFT JOIN {USER} cu ON cu.id = c.creator_id "
        f"ORDER BY {order}"
    )
    joins = MESSAGE_JOINS[1]
    return sql, [*page[1], *member[1], _BIG, *creator[1], *message[1], *joins, *message[1], *joins, _VIEWER, _VIEWER]


_NEWEST_FIRST = "c.last_activity_at DESC, c.id DESC"
_MINE = f"SELECT c.* FROM {MEMBERSHIP} mi JOIN {CHAT} c ON c.id = mi.chat_id WHERE mi.user_id = %s"
_QUERIES = {
    "window": SQLOnce(
        lambda context: _rows_sql(
            context, (f"{_MINE} ORDER BY {_NEWEST_FIRST} LIMIT %s OFFSET %s", [_VIEWER, _LIMIT, _OFFSET]), _NEWEST_FIRST
        )
    ),
    "before": SQLOnce(
        lambda context: _rows_sql(
            context,
            (
                f"{_MINE} AND c.last_activity_at <= %s AND (c.last_activity_at, c.id) < (%s, %s) "
                f"ORDER BY {_NEWEST_FIRST} LIMIT %s",
                [_VIEWER, _AT, _AT, _ID, _LIMIT],
            ),
            _NEWEST_FIRST,
        )
    ),
    "after": SQLOnce(
        lambda context: _rows_sql(
            context,
            (
                f"{_MINE} AND c.last_activity_at >= %s AND (c.last_activity_at, c.id) > (%s, %s) "
                "ORDER BY c.last_activity_at, c.id LIMIT %s",
                [_VIEWER, _AT, _AT, _ID, _LIMIT],
            ),
            "c.last_activity_at, c.id",
        )
    ),
    # Chats by id, for one chat or a search's page (the caller orders them).
    "ids": SQLOnce(
        lambda context: _rows_sql(context, (f"SELECT c.* FROM {CHAT} c WHERE c.id = ANY(%s)", [_IDS]), "c.id")
    ),
}


def _run(query: str, viewer: User, context: RenderContext, **values: Any) -> list[ChatRow]:
    sql, params = _QUERIES[query].bind(
        context, viewer=viewer.pk, big=settings.CONSTANTS.CONTRACT_GROUP_MAX_MEMBERS, **values
    )
    # Where the ORM would read (the replica for authenticated GET requests: application/replica.py).
    with connections[router.db_for_read(Chat)].cursor() as cursor:
        cursor.execute(sql, params)
        return [_row(values, viewer, context) for values in cursor]


def _json(text: str | None, context: RenderContext) -> Rendered | None:
    return None if text is None else Rendered(fix_urls(text.encode(), context))


def _row(values: tuple[Any, ...], viewer: User, context: RenderContext) -> ChatRow:
    chat_id, title, avatar, is_private, created_at, updated_at, last_activity_at, unread, count = values[:9]
    muted_until, mentions, creator, members, last_message, pinned_message, other = values[9:]
    is_muted = muted_until is not None and muted_until > timezone.now()
    avatar_value: str | Rendered | None = avatar or None
    if is_private:
        title, avatar_value = _as_the_other_member(_json(other, context), title)
    return ChatRow(
        id=chat_id,
        title=title,
        members=_json(members, context) or Rendered(b"[]"),
        creator=_json(creator, context),
        avatar=avatar_value,
        created_at=created_at,
        updated_at=updated_at,
        is_private=is_private,
        last_message=_json(last_message, context),
        unread_messages_count=unread,
        pinned_message=_json(pinned_message, context),
        is_muted=is_muted,
        muted_until=muted_until if is_muted and muted_until != MUTED_FOREVER else None,
        unread_mentions_count=mentions,
        members_count=count,
        channel=CHAT_CHANNEL.channel(chat_id) if is_big(count) else PERSONAL.channel(viewer.pk),
        last_activity_at=last_activity_at,
    )


def _as_the_other_member(other: Rendered | None, title: str) -> tuple[str, Rendered | None]:
    """A private chat's title and avatar: the other member's name (or username) and avatar URL."""
    if other is None:
        return title, None
    user = orjson.loads(other.raw)
    name = f"{user['first_name']} {user['last_name']}".strip() or user["username"]
    return name, Rendered(orjson.dumps(user["avatar"])) if user["avatar"] else None


class ChatPages:
    """The viewer's chats, newest activity first, as application.pagination.Keyset pages them."""

    def __init__(self, viewer: User, context: RenderContext) -> None:
        self.viewer, self.context = viewer, context

    def count(self) -> int:
        # The viewer's chats are their memberships: counted by an index scan, not a join with every chat.
        return Membership.objects.filter(user=self.viewer).count()

    def newest(self, limit: int, before: str | None) -> list[ChatRow]:
        if before is None:
            return self.window(0, limit)
        at, pk = CHAT_LIST_CURSOR.decode(before)
        return _run("before", self.viewer, self.context, at=at, id=pk, limit=limit)

    def oldest_after(self, limit: int, after: str) -> list[ChatRow]:
        at, pk = CHAT_LIST_CURSOR.decode(after)
        return _run("after", self.viewer, self.context, at=at, id=pk, limit=limit)

    def window(self, offset: int, limit: int) -> list[ChatRow]:
        return _run("window", self.viewer, self.context, offset=offset, limit=limit)


def chat_rows(viewer: User, chat_ids: Iterable[uuid.UUID], context: RenderContext) -> list[ChatRow]:
    """The viewer's chats among `chat_ids`, in that order."""
    ids = list(chat_ids)
    if not ids:
        return []
    found = {row.id: row for row in _run("ids", viewer, context, ids=ids)}
    return [found[chat_id] for chat_id in ids if chat_id in found]


def chat_row_for_user(viewer: User, chat_id: AnyId, context: RenderContext) -> ChatRow:
    """A chat as its member sees it: 404 if unknown, 403 if the viewer is not a member."""
    chat_uuid = parse_uuid(chat_id)
    rows = chat_rows(viewer, [chat_uuid], context)
    if not rows:
        raise_not_member_or_missing(chat_uuid)
    return rows[0]
