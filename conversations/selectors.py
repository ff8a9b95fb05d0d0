"""Chats as one member sees them (ChatShape rows): a page of the chat list, or one chat.

A page is one query, in SQL generated once per process (application.shapes_sql): each chat as ChatShape's JSON
written by PostgreSQL from the declarations, as the viewer sees it — a private chat's title and avatar are the
other member's, the unread count, mute, unread mentions and the channel of its message events are the viewer's —
with its creator, members, last message and latest pin (with files, replies, forwards, mentions, reactions and
readers).

In a group with more members than the contract's groups have (chats.selectors.is_big) the members and readers are
not listed (`members_count` says how many; docs/api-chats.md, "Big groups").
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.utils import timezone

from application.ids import AnyId
from application.pagination import Page, TimeCursor
from application.shapes import Param, RenderContext, Rendered, SQLContext
from application.shapes_sql import SQL, SQLOnce, columns, fix_urls, json_array, json_object
from chats.models import MUTED_FOREVER, Chat, Membership, unread_count_sql
from chats.selectors import parse_uuid, raise_not_member_or_missing
from conversations.shapes import ChatShape
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


# What str.strip() strips (str.isspace), as a PostgreSQL string for btrim: a private chat's title is the other
# member's "first last".strip(), or their username.
_WHITESPACE = "U&'" + "".join(f"\\{ord(char):04X}" for char in map(chr, range(0x10000)) if char.isspace()) + "'"
_NOW, _FOREVER = Param("now"), Param("forever")


def _rows_sql(context: SQLContext, page: SQL, order: str, *, counted: bool = False) -> SQL:
    """Each chat a CTE `page` selects (in `order`) as the viewer sees it: its id and activity time (paging) and its
    ChatShape JSON; `counted`: and how many chats the viewer has (the list's count, in the page's round trip)."""
    user = lambda alias: json_object(UserShape, columns(UserShape, User, alias), context)  # noqa: E731
    message = message_json_sql(context)
    chat = json_object(
        ChatShape,
        {
            "id": "c.id",
            "title": f"CASE WHEN o.username IS NULL THEN c.title "
            f"ELSE coalesce(nullif(btrim(o.first_name || ' ' || o.last_name, {_WHITESPACE}), ''), o.username) END",
            "members": f"(SELECT {json_array('x.json', 'x.joined_at, x.id')} FROM members x WHERE x.chat_id = c.id)",
            "creator": (f"CASE WHEN cu.id IS NULL THEN NULL ELSE {user('cu')[0]} END", user("cu")[1]),
            "avatar": "CASE WHEN c.is_private THEN o.avatar ELSE c.avatar END",
            "created_at": "c.created_at",
            "updated_at": "c.updated_at",
            "is_private": "c.is_private",
            "last_message": (
                f"(SELECT {message[0]} FROM {MESSAGE} m {MESSAGE_JOINS[0]} WHERE m.id = c.last_message_id)",
                [*message[1], *MESSAGE_JOINS[1]],
            ),
            "unread_messages_count": unread_count_sql("c", "mine"),
            "is_muted": "v.muted",
            "muted_until": "v.muted_until",
            # The viewer's mentions after their read pointer: an index range of (user, chat, seq).
            "unread_mentions_count": f"(SELECT count(*) FROM {MENTION} mn WHERE mn.user_id = mine.user_id "
            "AND mn.chat_id = c.id AND mn.seq > mine.last_read_seq)",
            # The latest pin (the partial (chat, pinned_at) index).
            "pinned_message": (
                f"(SELECT {message[0]} FROM {MESSAGE} m {MESSAGE_JOINS[0]} WHERE m.chat_id = c.id "
                "AND m.pinned_at IS NOT NULL ORDER BY m.pinned_at DESC LIMIT 1)",
                [*message[1], *MESSAGE_JOINS[1]],
            ),
            "members_count": "coalesce(k.n, 0)",
            "channel": "CASE WHEN v.big THEN 'chat:' || c.id::text ELSE mine.user_id::text END",
        },
        context,
    )
    member = user("u")
    sql = (
        f"WITH page AS MATERIALIZED ({page[0]}), "
        # Computed once each (a CTE read more than once, or by a subquery per row, is not to be inlined).
        f"counts AS MATERIALIZED (SELECT chat_id, count(*) AS n FROM {MEMBERSHIP} "
        "WHERE chat_id IN (SELECT id FROM page) GROUP BY chat_id), "
        # Members (and so readers) are listed in chats that are not big.
        f"members AS MATERIALIZED (SELECT mm.chat_id, mm.user_id, mm.last_read_seq, mm.joined_at, mm.id, "
        f"{member[0]} AS json FROM {MEMBERSHIP} mm JOIN {USER} u ON u.id = mm.user_id "
        "WHERE mm.chat_id IN (SELECT chat_id FROM counts WHERE n <= %s)), "
        "readers AS (SELECT * FROM members) "
        f"SELECT c.id, c.last_activity_at, {chat[0]}{_COUNT_COLUMN if counted else ''} "
        f"FROM page p JOIN {CHAT} c ON c.id = p.id JOIN {MEMBERSHIP} mine ON mine.chat_id = c.id "
        "AND mine.user_id = %s "
        f"LEFT JOIN counts k ON k.chat_id = c.id LEFT JOIN {USER} cu ON cu.id = c.creator_id "
        # A private chat is shown as its other member (the first other in join order).
        f"LEFT JOIN LATERAL (SELECT ou.first_name, ou.last_name, ou.username, ou.avatar FROM {MEMBERSHIP} om "
        # `c.is_private` inside the subquery: a group's is not run at all (as the join's condition, it listed every
        # group's members, 1.3 of a page's 3.5 ms).
        f"JOIN {USER} ou ON ou.id = om.user_id WHERE c.is_private AND om.chat_id = c.id "
        "AND om.user_id <> mine.user_id ORDER BY om.joined_at, om.id LIMIT 1) o ON true "
        # What depends on the moment and the limits: mutes (MUTED_FOREVER shows as null), big groups.
        "CROSS JOIN LATERAL (SELECT coalesce(mine.muted_until > %s, false) AS muted, CASE WHEN mine.muted_until > %s "
        "AND mine.muted_until <> %s THEN mine.muted_until END AS muted_until, coalesce(k.n, 0) > %s AS big) v "
        f"ORDER BY {order}"
    )
    counter = [_VIEWER] if counted else []
    return sql, [*page[1], *member[1], _BIG, *chat[1], *counter, _VIEWER, _NOW, _NOW, _FOREVER, _BIG]


_NEWEST_FIRST = "c.last_activity_at DESC, c.id DESC"
_COUNT = f"SELECT count(*) FROM {MEMBERSHIP} WHERE user_id = %s"
# The viewer's chats are their memberships: counted by an index scan, not a join with every chat.
_COUNT_COLUMN = f", ({_COUNT})"
_MAX_OFFSET = 2**62
# The viewer's chats (id and activity: what their order needs; the rest is read for the page's rows only),
# starting from their memberships (an index range), each chat looked up by its key: `OFFSET 0` keeps the planner
# from walking every chat by activity and probing each one's memberships instead (4.5 ms for the second page of a
# user with 512 chats, and the whole table for a user with a few). Sorting whole rows, with a cache of lookups whose
# keys never repeat, took 1.1 ms for 512 chats; this, 0.75 ms.
_MINE = (
    f"SELECT c.id, c.last_activity_at FROM {MEMBERSHIP} mi CROSS JOIN LATERAL "
    f"(SELECT id, last_activity_at FROM {CHAT} WHERE id = mi.chat_id OFFSET 0) c WHERE mi.user_id = %s"
)
_QUERIES = {
    "window": SQLOnce(
        lambda context: _rows_sql(
            context,
            (f"{_MINE} ORDER BY {_NEWEST_FIRST} LIMIT %s OFFSET %s", [_VIEWER, _LIMIT, _OFFSET]),
            _NEWEST_FIRST,
            counted=True,
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
            counted=True,
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
            counted=True,
        )
    ),
    # Chats by id, for one chat or a search's page (the caller orders them).
    "ids": SQLOnce(
        lambda context: _rows_sql(
            context, (f"SELECT id, last_activity_at FROM {CHAT} WHERE id = ANY(%s)", [_IDS]), "c.id"
        )
    ),
}


@dataclass(slots=True)
class ChatJSON:
    """A chat as the viewer sees it (`json`: ChatShape, written by PostgreSQL), with what paging needs."""

    id: uuid.UUID
    last_activity_at: datetime.datetime
    json: Rendered


def _execute(query: str, viewer: User, context: RenderContext, **values: Any) -> list[tuple[Any, ...]]:
    sql, params = _QUERIES[query].bind(
        context,
        viewer=viewer.pk,
        big=settings.CONSTANTS.CONTRACT_GROUP_MAX_MEMBERS,
        now=timezone.now(),
        forever=MUTED_FOREVER,
        **values,
    )
    # Where the ORM would read (the replica for authenticated GET requests: application/replica.py).
    with connections[router.db_for_read(Chat)].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _chat(row: tuple[Any, ...], context: RenderContext) -> ChatJSON:
    pk, at, text = row[:3]
    return ChatJSON(pk, at, Rendered(fix_urls(text.encode(), context)))


def _run(query: str, viewer: User, context: RenderContext, **values: Any) -> list[ChatJSON]:
    return [_chat(row, context) for row in _execute(query, viewer, context, **values)]


class ChatPages:
    """The viewer's chats, newest activity first, as application.pagination.Keyset pages them."""

    def __init__(self, viewer: User, context: RenderContext) -> None:
        self.viewer, self.context = viewer, context

    def _count(self) -> int:
        with connections[router.db_for_read(Membership)].cursor() as cursor:
            cursor.execute(_COUNT, [self.viewer.pk])
            return int(cursor.fetchone()[0])

    def _page(self, query: str, **values: Any) -> Page[ChatJSON]:
        """A page and the count from one query; an empty page asks for the count on its own."""
        rows = _execute(query, self.viewer, self.context, **values)
        if not rows:
            return Page([], self._count())
        return Page([_chat(row, self.context) for row in rows], int(rows[0][3]))

    def newest(self, limit: int, before: str | None) -> Page[ChatJSON]:
        if before is None:
            return self.window(0, limit)
        at, pk = CHAT_LIST_CURSOR.decode(before)
        return self._page("before", at=at, id=pk, limit=limit)

    def oldest_after(self, limit: int, after: str) -> Page[ChatJSON]:
        at, pk = CHAT_LIST_CURSOR.decode(after)
        return self._page("after", at=at, id=pk, limit=limit)

    def window(self, offset: int, limit: int) -> Page[ChatJSON]:
        if offset > _MAX_OFFSET:  # past anybody's chats, and past what PostgreSQL's OFFSET takes
            return Page([], self._count())
        return self._page("window", offset=offset, limit=limit)


def chat_rows(viewer: User, chat_ids: Iterable[uuid.UUID], context: RenderContext) -> list[ChatJSON]:
    """The viewer's chats among `chat_ids`, in that order."""
    ids = list(chat_ids)
    if not ids:
        return []
    found = {row.id: row for row in _run("ids", viewer, context, ids=ids)}
    return [found[chat_id] for chat_id in ids if chat_id in found]


def chat_row_for_user(viewer: User, chat_id: AnyId, context: RenderContext) -> ChatJSON:
    """A chat as its member sees it: 404 if unknown, 403 if the viewer is not a member."""
    chat_uuid = parse_uuid(chat_id)
    rows = chat_rows(viewer, [chat_uuid], context)
    if not rows:
        raise_not_member_or_missing(chat_uuid)
    return rows[0]
