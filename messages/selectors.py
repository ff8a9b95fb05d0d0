"""Every read on messages. A message as the API shows it is written by PostgreSQL from MessageShape's declaration
(application.shapes_sql), in SQL generated once per process: a page of a chat's messages, a message, the chat
list's last and pinned messages, a page of the global search's hits (with their snippets) are each one query (the
messages with their senders, files, replies, forwards, mentions, reactions and readers) and cost no ORM compilation
per request; so is a page of the message list's search. Pins, mentions and the messages of events select their
rows through the ORM and render them in Python (`message_rows`, `attach_readers`): the same shape, checked against
the same reference by the tests.

`was_read_by`: the members other than the sender whose read pointer reaches the message, highest pointer first
(join order among equals). In a chat with more members than the contract's groups have (chats.selectors.is_big)
readers are not listed (docs/api-chats.md, "Big groups")."""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime
import functools
import uuid
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import orjson
from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections, router
from django.db.models import Exists, F, Func, OuterRef, QuerySet, TextField, Value
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied

from application.ids import AnyId
from application.pagination import Page, TimeCursor
from application.plans import custom_plans
from application.shapes import Param, RenderContext, Rendered, SQLContext, bind_params
from application.shapes_sql import SQL, SQLOnce, columns, fix_urls, json_array, json_object
from chats.models import Chat, Membership
from chats.selectors import MemberJSON, member_json, parse_uuid
from messages.models import Mention, Message, MessageFile, Reaction
from messages.search import (
    CHAT_SEARCH_WALK,
    SEARCH_WALK,
    SEARCH_WINDOW,
    SearchQuery,
    match_sql,
    rank_sql,
    snippets_cte,
    text_values,
)
from messages.shapes import (
    FileRow,
    FileShape,
    ForwardRow,
    ForwardShape,
    MessageRow,
    MessageShape,
    ReactionRow,
    ReactionShape,
    ReplyRow,
    ReplyShape,
    SearchHitShape,
)
from users.models import User
from users.selectors import name_contains
from users.shapes import UserRow, UserShape

MESSAGE, FILE, REACTION = Message._meta.db_table, MessageFile._meta.db_table, Reaction._meta.db_table
MEMBERSHIP, USER, MENTION = Membership._meta.db_table, User._meta.db_table, Mention._meta.db_table
BIG = Param("big")  # more members than this: readers are not listed
VIEWER = Param("viewer")  # who sees the messages: a forward's original chat is shown to its members only


def message_json_sql(context: SQLContext) -> SQL:
    """MessageShape's JSON text for the message `m` of a query `FROM <m> {MESSAGE_JOINS}` with a CTE `readers`
    (`readers_cte`)."""
    user = lambda alias: json_object(UserShape, columns(UserShape, User, alias), context)  # noqa: E731
    file_sql = json_object(FileShape, columns(FileShape, MessageFile, "f"), context)
    reaction = json_object(ReactionShape, {"emoji": "x.emoji", "count": "x.count", "users": "x.users"}, context)
    reply = json_object(ReplyShape, columns(ReplyShape, Message, "r", sender=user("rs")), context)
    forward = json_object(
        ForwardShape,
        {
            "sender": (f"CASE WHEN fs.id IS NULL THEN NULL ELSE {user('fs')[0]} END", user("fs")[1]),
            "chat": "CASE WHEN fv.visible THEN m.forwarded_from_chat_id END",
            "created_at": "m.forwarded_from_created_at",
        },
        context,
    )
    return json_object(
        MessageShape,
        columns(
            MessageShape,
            Message,
            "m",
            sender=user("s"),
            files=(f"(SELECT {json_array(file_sql[0], 'f.id')} FROM {FILE} f WHERE f.message_id = m.id)", file_sql[1]),
            was_read_by=(
                f"(SELECT {json_array('x.json', 'x.last_read_seq DESC, x.joined_at, x.id')} FROM readers x "
                "WHERE x.chat_id = m.chat_id AND x.last_read_seq >= m.seq AND x.user_id <> m.sender_id)"
            ),
            reply_to=(f"CASE WHEN r.id IS NULL THEN NULL ELSE {reply[0]} END", reply[1]),
            forwarded_from=(
                f"CASE WHEN m.forwarded_from_created_at IS NULL THEN NULL ELSE {forward[0]} END",
                forward[1],
            ),
            mentions=f"ARRAY(SELECT mn.user_id FROM {MENTION} mn WHERE mn.message_id = m.id ORDER BY mn.id)",
            # Per emoji, first used first; its users earliest first (the (message, emoji, user) index).
            reactions=(
                f"(SELECT {json_array(reaction[0], 'x.first, x.emoji')} FROM (SELECT emoji, count(*) AS count, "
                "array_agg(user_id ORDER BY created_at, id) AS users, min(created_at) AS first "
                f"FROM {REACTION} WHERE message_id = m.id GROUP BY emoji) x)",
                reaction[1],
            ),
        ),
        context,
    )


# What `message_json_sql` reads beside the message `m`: its sender, the message it replies to and that one's
# sender, a forward's original sender, and whether the viewer is a member of a forward's original chat.
MESSAGE_JOINS = (
    f"JOIN {USER} s ON s.id = m.sender_id LEFT JOIN {MESSAGE} r ON r.id = m.reply_to_id "
    f"LEFT JOIN {USER} rs ON rs.id = r.sender_id LEFT JOIN {USER} fs ON fs.id = m.forwarded_from_sender_id "
    # Looked up for a forwarded message only, by the whole (user, chat) index: `OFFSET 0` keeps the planner from
    # flattening it into a join whose generic plan read all of the viewer's memberships for every message (0.9 of a
    # chat list page's 3.5 ms, for a member of 512 chats).
    f"LEFT JOIN LATERAL (SELECT true AS visible FROM {MEMBERSHIP} fm WHERE m.forwarded_from_chat_id IS NOT NULL "
    "AND fm.user_id = %s AND fm.chat_id = m.forwarded_from_chat_id OFFSET 0) fv ON true",
    [VIEWER],
)


def readers_cte(context: SQLContext, messages: str) -> SQL:
    """`sizes AS (...), readers AS (...)`: the members of the chats of the CTE `messages` whose pointer reaches its
    oldest message, each with their UserShape JSON, in chats that are not big."""
    user = json_object(UserShape, columns(UserShape, User, "ru"), context)
    return (
        # Computed once each: the chats' sizes (a count per membership row would be quadratic in a big group), and
        # the readers (a subquery per message reads them; inlined, they would be recomputed for every message).
        f"sizes AS MATERIALIZED (SELECT chat_id, count(*) AS n FROM {MEMBERSHIP} "
        f"WHERE chat_id IN (SELECT DISTINCT chat_id FROM {messages}) GROUP BY chat_id), "
        f"readers AS MATERIALIZED (SELECT rm.chat_id, rm.user_id, rm.last_read_seq, rm.joined_at, rm.id, "
        f"{user[0]} AS json "
        f"FROM {MEMBERSHIP} rm JOIN {USER} ru ON ru.id = rm.user_id "
        "WHERE rm.chat_id IN (SELECT chat_id FROM sizes WHERE n <= %s) "
        f"AND rm.last_read_seq >= (SELECT min(seq) FROM {messages}))",
        [*user[1], BIG],
    )


def _messages_sql(context: SQLContext, page: SQL, order: str) -> SQL:
    """The JSON of the messages a CTE `page` selects (id, seq, chat, JSON text, in `order` of seq)."""
    readers = readers_cte(context, "page")
    message = message_json_sql(context)
    sql = (
        f"WITH page AS ({page[0]}), {readers[0]} "
        f"SELECT m.id, m.seq, m.chat_id, {message[0]} FROM page m {MESSAGE_JOINS[0]} ORDER BY m.seq {order}"
    )
    return sql, [*page[1], *readers[1], *message[1], *MESSAGE_JOINS[1]]


_CHAT, _CURSOR, _LIMIT, _OFFSET, _ID = Param("chat"), Param("cursor"), Param("limit"), Param("offset"), Param("id")


def _page(where: str, where_params: list[Any], order: str, *, offset: bool = False) -> SQLOnce:
    page = (
        f"SELECT m.* FROM {MESSAGE} m WHERE m.chat_id = %s {where} ORDER BY m.seq {order} LIMIT %s"
        + (" OFFSET %s" if offset else ""),
        [_CHAT, *where_params, _LIMIT, *([_OFFSET] if offset else [])],
    )
    return SQLOnce(lambda context: _messages_sql(context, page, order))


_CURSOR_SEQ = f"(SELECT c.seq FROM {MESSAGE} c WHERE c.id = %s AND c.chat_id = %s)"
_PAGES = {
    "newest": _page("", [], "DESC"),
    "before": _page(f"AND m.seq < {_CURSOR_SEQ}", [_CURSOR, _CHAT], "DESC"),
    "after": _page(f"AND m.seq > {_CURSOR_SEQ}", [_CURSOR, _CHAT], "ASC"),
    "window": _page("", [], "DESC", offset=True),
}
_ONE = SQLOnce(lambda context: _messages_sql(context, (f"SELECT m.* FROM {MESSAGE} m WHERE m.id = %s", [_ID]), "DESC"))


@dataclass(slots=True)
class MessageJSON:
    """A message as the API shows it (`json`), with what paging and permission checks need."""

    id: uuid.UUID
    seq: int
    chat_id: uuid.UUID
    json: Rendered


def _run(query: SQLOnce, viewer: User, context: RenderContext, **values: Any) -> list[MessageJSON]:
    big = settings.CONSTANTS.CONTRACT_GROUP_MAX_MEMBERS
    sql, params = query.bind(context, big=big, viewer=viewer.pk, **values)
    # Where the ORM would read (the replica for authenticated GET requests: application/replica.py).
    with connections[router.db_for_read(Message)].cursor() as cursor:
        cursor.execute(sql, params)
        return [
            MessageJSON(pk, seq, chat, Rendered(fix_urls(text.encode(), context))) for pk, seq, chat, text in cursor
        ]


class MessagePages:
    """A chat's messages, newest first, as application.pagination.Keyset pages them for `viewer`; the count is
    the chat row's counter (O(1))."""

    def __init__(self, chat: Chat, viewer: User, context: RenderContext) -> None:
        self.chat, self.viewer, self.context = chat, viewer, context

    def _page(self, kind: str, **values: Any) -> Page[MessageJSON]:
        rows = _run(_PAGES[kind], self.viewer, self.context, chat=self.chat.pk, **values)
        return Page(rows, self.chat.message_count)

    def newest(self, limit: int, before: str | None) -> Page[MessageJSON]:
        if before is None:
            return self._page("newest", limit=limit)
        return self._page("before", limit=limit, cursor=cursor_id(before))

    def oldest_after(self, limit: int, after: str) -> Page[MessageJSON]:
        return self._page("after", limit=limit, cursor=cursor_id(after))

    def window(self, offset: int, limit: int) -> Page[MessageJSON]:
        if offset >= self.chat.message_count:
            return Page([], self.chat.message_count)
        return self._page("window", limit=limit, offset=offset)


_SENDERS, _NEED, _WALK = Param("senders"), Param("need"), Param("walk")


def _chat_match_sql(words: bool, substring: bool, caseless: bool) -> SQL:
    """The message list's search condition on a message `m`: sent by one of the matching `senders`, or its text
    matching (messages.search.match_sql)."""
    text = match_sql("m.search_vector", "m.text", substring=substring, words=words, caseless=caseless)
    return f"(m.sender_id = ANY(%s) OR {text[0]})", [_SENDERS, *text[1]]


@functools.cache
def _chat_search_sql(page: str, words: bool, substring: bool, caseless: bool) -> SQLOnce:
    """A page of a chat's messages that match a search (`ChatSearchPages`) in two phases. First the next `walk`
    (CHAT_SEARCH_WALK) messages from where the page starts (`walked`: a range of seq, read by the (chat, seq) index
    with the match above its LIMIT, so the planner cannot turn it into a walk of the whole chat for a word in none
    of them). When they hold the `need`ed matches, those are the page's; only when they hold fewer, and more
    messages lie beyond them, does the second phase run (a one-time filter): every match beyond the range through
    the sender and text indexes, then sorted (few, since the walk found few)."""
    match, match_params = _chat_match_sql(words, substring, caseless)
    order = "ASC" if page == "after" else "DESC"
    cursor = f"(SELECT s.seq FROM {MESSAGE} s WHERE s.id = %s AND s.chat_id = %s)"
    last = f"(SELECT c.last_seq FROM {Chat._meta.db_table} c WHERE c.id = %s)"
    # The walked range [lo, hi] from `x` (the chat's last seq, or the cursor's), and whether any message lies beyond
    # it; an unknown cursor gives no range, and no page.
    walk = "(VALUES (%s::bigint)) v(w)"
    walked: SQL = {
        "newest": (f"SELECT x - w + 1 AS lo, x AS hi, x > w AS more FROM {last} b(x), {walk}", [_CHAT, _WALK]),
        "before": (
            f"SELECT x - w AS lo, x - 1 AS hi, x > w + 1 AS more FROM {cursor} b(x), {walk}",
            [_CURSOR, _CHAT, _WALK],
        ),
        "after": (
            f"SELECT x + 1 AS lo, x + w AS hi, x + w < {last} AS more FROM {cursor} b(x), {walk}",
            [_CHAT, _CURSOR, _CHAT, _WALK],
        ),
    }["newest" if page == "window" else page]
    beyond = "m.seq > (SELECT hi FROM walked)" if page == "after" else "m.seq < (SELECT lo FROM walked)"
    recent = (
        f"SELECT m.id, m.seq FROM (SELECT m.id, m.seq, m.sender_id, m.search_vector, m.text FROM {MESSAGE} m "
        "WHERE m.chat_id = %s AND m.seq BETWEEN (SELECT lo FROM walked) AND (SELECT hi FROM walked) "
        f"ORDER BY m.seq {order} LIMIT %s) m WHERE {match} ORDER BY m.seq {order} LIMIT %s"
    )
    # `OFFSET 0`: planned as a whole (no ORDER BY ... LIMIT to walk the (chat, seq) index for).
    beyond_matches = (
        f"SELECT m.id, m.seq FROM (SELECT m.id, m.seq FROM {MESSAGE} m WHERE (SELECT count(*) FROM recent) < %s "
        f"AND (SELECT more FROM walked) AND m.chat_id = %s AND {beyond} AND {match} OFFSET 0) m "
        f"ORDER BY m.seq {order} LIMIT %s"
    )
    sql = (
        f"WITH walked AS MATERIALIZED ({walked[0]}), recent AS MATERIALIZED ({recent}), "
        f"beyond AS MATERIALIZED ({beyond_matches}) SELECT m.* FROM {MESSAGE} m WHERE m.id IN (SELECT f.id FROM "
        f"(SELECT * FROM recent UNION ALL SELECT * FROM beyond) f ORDER BY f.seq {order} LIMIT %s OFFSET %s)"
    )
    params = [*walked[1], _CHAT, _WALK, *match_params, _NEED, _NEED, _CHAT, *match_params, _NEED, _LIMIT, _OFFSET]
    return SQLOnce(lambda context: _messages_sql(context, (sql, params), order))


@functools.cache
def _chat_search_count_sql(words: bool, substring: bool, caseless: bool) -> SQL:
    match, match_params = _chat_match_sql(words, substring, caseless)
    return f"SELECT count(*) FROM {MESSAGE} m WHERE m.chat_id = %s AND {match}", [_CHAT, *match_params]


class ChatSearchPages:
    """A chat's messages that match a search (the message list's `?search=`), newest first, as
    application.pagination.Keyset pages them for `viewer`: the text matched as the global search matches it (the same
    indexes: messages.search), or the sender's username, first or last name. Three statements: the senders whose
    names match (among the users with messages in the chat), the count, the page (`_chat_search_sql`; none when
    the count is 0); run them inside `searching()`, so each is planned for its words."""

    def __init__(self, chat: Chat, viewer: User, search: str, context: RenderContext) -> None:
        self.chat, self.viewer, self.context, self.search = chat, viewer, context, search
        query = SearchQuery.parse(search)
        self.words, self.substring = (True, query.substring) if query else (False, True)
        # A query without words whose letters (if any) have no case ("(", "😀") matches as it is.
        self.caseless = query is None and search.upper() == search.lower()
        self.matching = query.values() if query else text_values(search)
        self._senders: list[uuid.UUID] | None = None
        self._count: int | None = None

    def _values(self, **values: Any) -> dict[str, Any]:
        if self._senders is None:
            # Each user whose name matches is probed by the (sender, chat) index: a sender of the chat's, or not.
            sent = Message.objects.filter(chat=self.chat, sender=OuterRef("pk"))
            users = User.objects.filter(name_contains(self.search)).filter(Exists(sent))
            self._senders = list(users.values_list("pk", flat=True))
        return {**self.matching, "chat": self.chat.pk, "senders": self._senders, **values}

    def _total(self) -> int:
        if self._count is None:
            sql, params = _chat_search_count_sql(self.words, self.substring, self.caseless)
            with connections[router.db_for_read(Message)].cursor() as cursor:
                cursor.execute(sql, bind_params(params, self._values()))
                self._count = cursor.fetchone()[0]
        return self._count

    def _page(self, page: str, limit: int, offset: int = 0, cursor: uuid.UUID | None = None) -> Page[MessageJSON]:
        if not self._total():
            return Page([], 0)  # the count read every match: no page to look for
        values = self._values(need=offset + limit, limit=limit, offset=offset, cursor=cursor, walk=CHAT_SEARCH_WALK)
        sql = _chat_search_sql(page, self.words, self.substring, self.caseless)
        return Page(_run(sql, self.viewer, self.context, **values), self._total())

    def newest(self, limit: int, before: str | None) -> Page[MessageJSON]:
        if before is None:
            return self._page("newest", limit)
        return self._page("before", limit, cursor=cursor_id(before))

    def oldest_after(self, limit: int, after: str) -> Page[MessageJSON]:
        return self._page("after", limit, cursor=cursor_id(after))

    def window(self, offset: int, limit: int) -> Page[MessageJSON]:
        if offset >= self._total():
            return Page([], self._total())
        return self._page("window", limit, offset)


def message_json(message_id: uuid.UUID, viewer: User, context: RenderContext) -> MessageJSON:
    """A message as `viewer` sees it (no permission check); 404 when it is gone."""
    found = _run(_ONE, viewer, context, id=message_id)
    if not found:
        raise NotFound()
    return found[0]


# ------------------------------------------- rows rendered in Python (searches, pins, mentions, events)
# The columns of a MessageRow, in the order `_row` reads them.
_SENDER = UserRow.columns("sender__")
_REPLY_SENDER = UserRow.columns("reply_to__sender__")
_FORWARD_SENDER = UserRow.columns("forwarded_from_sender__")
_COLUMNS = (
    "id",
    "chat_id",
    "seq",
    "text",
    "voice",
    "created_at",
    "updated_at",
    "pinned_at",
    "pinned_by_id",
    "file_names",
    "reaction_list",
    "forwarded_from_chat_id",
    "forwarded_from_created_at",
    "forward_visible",
    "mentioned",
    *_FORWARD_SENDER,
    *_SENDER,
    "reply_to_id",
    "reply_to__text",
    "reply_to__voice",
    "reply_to__created_at",
    *_REPLY_SENDER,
)
_USER = len(_SENDER)


class ReactionsJSON(Func):
    """A message's reactions, aggregated per emoji (first used first), as JSON text `[[emoji, count, [user ids]]]`:
    a column of the page's query, walking the (message, emoji, user) index — no query per message."""

    output_field = TextField()
    template = (
        "(SELECT coalesce(json_agg(json_build_array(r.emoji, r.n, r.users) ORDER BY r.first, r.emoji)::text, '[]') "
        "FROM (SELECT emoji, count(*) AS n, array_agg(user_id ORDER BY created_at, id) AS users, "
        f"min(created_at) AS first FROM {Reaction._meta.db_table} WHERE message_id = %(expressions)s "
        "GROUP BY emoji) r)"
    )

    def __init__(self) -> None:
        super().__init__(F("pk"))


class FilesJSON(Func):
    """A message's files as JSON text `[[stored name, name, thumbnail, width, height]]` (FileRow's fields), in upload
    order: a column of the page's query."""

    output_field = TextField()
    template = (
        "(SELECT coalesce(json_agg(json_build_array(item, name, nullif(thumbnail, ''), width, height) ORDER BY id)"
        "::text, "
        f"'[]') FROM {MessageFile._meta.db_table} WHERE message_id = %(expressions)s)"
    )

    def __init__(self) -> None:
        super().__init__(F("pk"))


def message_rows(messages: QuerySet[Message], viewer: User | None = None) -> list[MessageRow]:
    """The messages as MessageShape reads them, in the queryset's order, in one query (files and reactions as JSON
    beside each row). `was_read_by` is left empty: `attach_readers` fills it. A forward's original chat is shown
    when `viewer` is a member of it (never without a viewer: events set it per audience, `forward_audiences`)."""
    return [_row(values) for values in _with_columns(messages, viewer).values_list(*_COLUMNS)]


def _with_columns(messages: QuerySet[Message], viewer: User | None) -> QuerySet[Message]:
    visible = (
        Exists(Membership.objects.filter(chat=OuterRef("forwarded_from_chat"), user=viewer))
        if viewer is not None
        else Value(False)
    )
    mentions = Mention.objects.filter(message=OuterRef("pk")).order_by("id").values("user_id")
    return messages.annotate(
        file_names=FilesJSON(),
        reaction_list=ReactionsJSON(),
        forward_visible=visible,
        mentioned=ArraySubquery(mentions),
    )


def _row(values: tuple[Any, ...]) -> MessageRow:
    message_id, chat_id, seq, text, voice, created_at, updated_at, pinned_at, pinned_by, names, reactions = values[:11]
    forward_chat, forwarded_at, forward_visible, mentioned = values[11:15]
    base = 15 + _USER
    forwarded_from = None
    if forwarded_at is not None:
        forward_sender = UserRow(*values[15:base]) if values[15] is not None else None
        chat = forward_chat if forward_visible else None
        forwarded_from = ForwardRow(forward_sender, forward_chat, forwarded_at, chat)
    sender = UserRow(*values[base : base + _USER])
    reply_id, reply_text, reply_voice, reply_created_at = values[base + _USER : base + 4 + _USER]
    reply = None
    if reply_id is not None:
        reply_sender = UserRow(*values[base + 4 + _USER :])
        reply = ReplyRow(reply_id, reply_text, reply_voice or None, reply_sender, reply_created_at)
    return MessageRow(
        id=message_id,
        chat_id=chat_id,
        seq=seq,
        sender=sender,
        text=text,
        voice=voice or None,
        files=[FileRow(*item) for item in orjson.loads(names)],
        reply_to=reply,
        created_at=created_at,
        updated_at=updated_at,
        reactions=[ReactionRow(*item) for item in orjson.loads(reactions)],
        forwarded_from=forwarded_from,
        mentions=mentioned,
        pinned_at=pinned_at,
        pinned_by=pinned_by,
    )


class Readers:
    """`was_read_by` for the messages of one chat: the members other than the sender whose read pointer reaches
    the message, in pointer order (highest first; join order among equals). One JSON array body is joined once per
    chat and response, and each message gets a slice of it."""

    def __init__(self, members: list[MemberJSON]) -> None:
        members = sorted(members, key=lambda member: -member.last_read_seq)
        # Negated pointers ascend, for bisect: the readers at or past a message are a prefix.
        self.pointers = [-member.last_read_seq for member in members]
        self.position = {member.user_id: i for i, member in enumerate(members)}
        self.joined = memoryview(b",".join(member.json for member in members))
        # ends[i]: where item i ends in `joined` (a comma or the end follows).
        self.ends = [end - 1 for end in accumulate(len(member.json) + 1 for member in members)]

    def of(self, seq: int, sender_id: uuid.UUID | str | None) -> Rendered:
        count = bisect.bisect_right(self.pointers, -seq)
        if count == 0:
            return Rendered(b"[]")
        end, joined, ends = self.ends[count - 1], self.joined, self.ends
        sender = self.position.get(str(sender_id)) if sender_id is not None else None
        if sender is None or sender >= count:
            parts: tuple[memoryview, ...] = (joined[:end],)
        elif sender == 0:
            parts = (joined[ends[0] + 1 : end],) if count > 1 else ()
        else:
            # The items before the sender, then the comma after it and the items up to `count`.
            parts = (joined[: ends[sender - 1]], joined[ends[sender] : end])
        return Rendered(b"".join((b"[", *parts, b"]")))


def attach_readers(
    rows: Iterable[MessageRow], context: RenderContext, members: dict[uuid.UUID, list[MemberJSON]] | None = None
) -> None:
    """Fill `was_read_by` of any number of messages: one query for the members whose pointer reaches the oldest of
    them, unless the chats' `members` are at hand already (the chat list has them)."""
    rows = list(rows)
    if not rows:
        return
    if members is None:
        members = member_json({row.chat_id for row in rows}, context, read_from=min(row.seq for row in rows))
    readers = {chat_id: Readers(chat_members) for chat_id, chat_members in members.items()}
    for row in rows:
        row.was_read_by = readers[row.chat_id].of(row.seq, row.sender_id)


def message_get_for_user(user: User, message_id: AnyId, *, lock_membership: bool = False) -> tuple[Message, Membership]:
    """A message (the model, for writes) and the viewer's membership of its chat: 404 if unknown, 403 if the viewer
    is not a member. `lock_membership` locks the membership row (the read pointer)."""
    message = Message.objects.filter(pk=parse_uuid(message_id)).select_related("chat").first()
    if message is None:
        raise NotFound()
    memberships = Membership.objects.select_for_update() if lock_membership else Membership.objects
    membership = memberships.filter(chat_id=message.chat_id, user=user).first()
    if membership is None:
        raise PermissionDenied(_("You are not a member of this chat."))
    membership.chat = message.chat
    return message, membership


def message_row_for_user(user: User, message_id: AnyId, context: RenderContext) -> MessageRow:
    """A message as its chat's member sees it (404 if unknown, 403 if the viewer is not a member), readers filled."""
    rows = message_rows(Message.objects.filter(pk=parse_uuid(message_id)), user)
    if not rows:
        raise NotFound()
    if not Membership.objects.filter(chat_id=rows[0].chat_id, user=user).exists():
        raise PermissionDenied(_("You are not a member of this chat."))
    attach_readers(rows, context)
    return rows[0]


def message_json_for_user(user: User, message_id: AnyId, context: RenderContext) -> MessageJSON:
    """A message as its chat's member sees it: 404 if unknown, 403 if the viewer is not a member."""
    found = message_json(parse_uuid(message_id), user, context)
    if not Membership.objects.filter(chat_id=found.chat_id, user=user).exists():
        raise PermissionDenied(_("You are not a member of this chat."))
    return found


def message_row(message_id: uuid.UUID, context: RenderContext, viewer: User | None = None) -> MessageRow:
    """A message (for services: no permission check) as `viewer` sees it, readers filled. 404 when it is gone (a
    deletion that committed while a write on it waited for its locks)."""
    rows = message_rows(Message.objects.filter(pk=message_id), viewer)
    if not rows:
        raise NotFound()
    attach_readers(rows, context)
    return rows[0]


def cursor_id(raw: str) -> uuid.UUID:
    """The message a message list's cursor names (404 if malformed)."""
    try:
        return parse_uuid(raw)
    except NotFound as exc:
        raise NotFound(_("Unknown cursor message.")) from exc


class MessageCursor:
    """A message list's cursors are message ids (the `before`/`after` of docs/api-chats.md): its pages
    (`MessagePages`, `ChatSearchPages`) look up the message's seq inside their own query (one round trip fewer per
    page). A cursor that is not a message of this chat gives an empty page, and then a 404."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat

    def encode(self, row: MessageJSON) -> str:
        return str(row.id)

    def check(self, raw: str) -> None:
        if not Message.objects.filter(pk=cursor_id(raw), chat=self.chat).exists():
            raise NotFound(_("Unknown cursor message."))


# Pins are listed latest pin first.
PIN_CURSOR = TimeCursor("pinned_at")


def message_pins(chat: Chat) -> QuerySet[Message]:
    """A chat's pinned messages (paginate them latest pin first with PIN_CURSOR: the partial (chat, pinned_at)
    index)."""
    return Message.objects.filter(chat=chat, pinned_at__isnull=False)


# ------------------------------------------------------------------------------------------------------ read_all
# The messages a read_all marked read (others', oldest first) as a JSON array, written by PostgreSQL: there may be
# 10,000 of them, and as Python objects they cost more time than the query and fragment a worker's heap
# (docs/performance.md). Joined as text: a UUID's text needs no JSON escaping, and json_agg's per-element
# conversion took twice as long (5.6 against 4.4 ms for 10,000 ids).
_READ_IDS_SQL = (
    """SELECT coalesce('["' || string_agg(id::text, '","' ORDER BY seq) || '"]', '[]') FROM """
    f"{MESSAGE} WHERE chat_id = %s AND seq > %s AND seq <= %s AND sender_id IS DISTINCT FROM %s"
)


def read_ids_json(*, chat_id: AnyId, user_id: AnyId, after_seq: int, upto_seq: int) -> bytes:
    """The ids of the others' messages with a seq in (after_seq, upto_seq] still there, as a JSON array. Read on
    the primary: the relay calls it right after the read_all committed."""
    with connections[router.db_for_write(Message)].cursor() as cursor:
        cursor.execute(_READ_IDS_SQL, [chat_id, after_seq, upto_seq, user_id])
        (ids,) = cursor.fetchone()
    return str(ids).encode()


# ------------------------------------------------------------------------------------------------------- search
@dataclass(frozen=True)
class SearchFilters:
    chat: Chat | None = None  # one chat of the viewer's (checked by the caller)
    sender_id: uuid.UUID | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    has_files: bool | None = None


def searching() -> AbstractContextManager[None]:
    """Around a search's queries: each planned for its own words (application.plans: a generic plan fitted one word
    and made another's search 30x slower)."""
    return custom_plans(Message)


class RankCursor:
    """Cursors of ranked hits: opaque base64 of the rank and the id (ordered by rank, then id, descending)."""

    keys = ("rank", "id")

    def decode(self, raw: str) -> tuple[Any, ...]:
        try:
            text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
            rank, pk = text.split("|")
            return float(rank), uuid.UUID(hex=pk)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise NotFound(_("Invalid cursor.")) from exc

    def encode(self, row: Any) -> str:
        return base64.urlsafe_b64encode(f"{row.rank!r}|{row.id.hex}".encode()).decode().rstrip("=")

    def check(self, raw: str) -> None:
        """A well-formed cursor is a position in the order: nothing to look up."""


RANK_CURSOR = RankCursor()
RECENT_CURSOR = TimeCursor("created_at")


@dataclass(slots=True)
class SearchHit:
    """A hit as the API shows it (`json`: SearchHitShape, written by PostgreSQL), with its keys in both orders."""

    id: uuid.UUID
    created_at: datetime.datetime
    rank: float | None  # `order=rank` only
    json: Rendered


@dataclass(frozen=True)
class _Search:
    """What the SQL of a search depends on: the order, which page (`newest`; past a cursor, `before`/`after`; at
    an offset, `window`, or `beyond` for a recent page that reaches past the newest SEARCH_WINDOW matches), the
    kind of match and which filters are set."""

    ranked: bool
    page: str
    substring: bool
    sender: bool
    since: bool
    until: bool
    has_files: bool | None
    bounded: bool  # more messages to search than SEARCH_WALK: two phases (`_bounded_newest`)


_CHATS, _SENDER_ID, _SINCE, _UNTIL = Param("chats"), Param("sender"), Param("since"), Param("until")
_KEY, _KEY_ID, _IDS = Param("key"), Param("key_id"), Param("ids")


_NEWEST_FIRST = "ORDER BY m.created_at DESC, m.id DESC"


def _bounded_newest(filters: SQL, match: SQL, rank: SQL) -> SQL:
    """The CTE `newest` (with the CTEs it reads) for many messages: the newest SEARCH_WINDOW matches in two
    phases. First the newest SEARCH_WALK messages by time, the (created_at, id) index, and the matches among them
    (`recent`): the text is matched above the walk's LIMIT, so the planner cannot fold it into a walk that reads
    the whole table looking for a word in none of them. When that finds SEARCH_WINDOW matches, they are the newest
    (every message newer than the last one walked was matched); only when it finds fewer does the second phase run
    (a one-time filter: not even started otherwise), every match through the text's indexes, then sorted by time:
    few, since the word is rare among the newest messages."""
    walk = (
        f"SELECT m.id, m.created_at, m.search_vector, m.text FROM {MESSAGE} m WHERE {filters[0]} {_NEWEST_FIRST} "
        "LIMIT %s"
    )
    recent = (
        f"SELECT m.id, m.created_at, {rank[0]} AS rank FROM ({walk}) m WHERE {match[0]} {_NEWEST_FIRST} "
        f"LIMIT {SEARCH_WINDOW}"
    )
    short = f"(SELECT count(*) FROM recent) < {SEARCH_WINDOW}"
    # `OFFSET 0`: planned as a whole (no ORDER BY ... LIMIT to walk the time index for); the rank of the kept only.
    every = (
        f"SELECT m.id, m.created_at, m.search_vector FROM {MESSAGE} m WHERE {short} AND {filters[0]} AND {match[0]} "
        "OFFSET 0"
    )
    older = (
        f"SELECT m.id, m.created_at, {rank[0]} AS rank FROM (SELECT * FROM ({every}) m {_NEWEST_FIRST} "
        f"LIMIT {SEARCH_WINDOW}) m"
    )
    sql = (
        f"recent AS MATERIALIZED ({recent}), older AS MATERIALIZED ({older}), "
        f"newest AS MATERIALIZED (SELECT * FROM recent WHERE NOT {short} UNION ALL SELECT * FROM older)"
    )
    return sql, [*rank[1], *filters[1], _WALK, *match[1], *rank[1], *filters[1], *match[1]]


@functools.cache
def _hits_sql(search: _Search) -> SQL:
    """The page's hits (id and keys) with the count beside them, in one statement planned for its values: the
    newest SEARCH_WINDOW matches (`newest`: what `count` counts, and with `order=rank` what is ranked and paged),
    the page cut from them, and a one-row count with the page left-joined to it (an empty page still answers the
    count)."""
    match = match_sql("m.search_vector", "m.text", substring=search.substring)
    filters, filter_params = "m.chat_id = ANY(%s)", [_CHATS]
    for on, condition, param in [
        (search.sender, "m.sender_id = %s", _SENDER_ID),
        (search.since, "m.created_at >= %s", _SINCE),
        (search.until, "m.created_at < %s", _UNTIL),
    ]:
        if on:
            filters, filter_params = f"{filters} AND {condition}", [*filter_params, param]
    if search.has_files is not None:
        files = f"EXISTS (SELECT 1 FROM {FILE} f WHERE f.message_id = m.id)"
        filters += f" AND {files}" if search.has_files else f" AND NOT {files}"
    where, where_params = f"{filters} AND {match[0]}", [*filter_params, *match[1]]
    rank = rank_sql("m.search_vector") if search.ranked else ("NULL::float8", [])
    matches = (
        f"SELECT m.id, m.created_at, {rank[0]} AS rank FROM {MESSAGE} m WHERE {where}",
        [*rank[1], *where_params],
    )
    newest = (
        _bounded_newest((filters, filter_params), match, rank)
        if search.bounded
        else (f"newest AS MATERIALIZED ({matches[0]} {_NEWEST_FIRST} LIMIT {SEARCH_WINDOW})", matches[1])
    )
    # The page: cut from `newest` (every ranked page, and recent pages inside it), or, for recent pages past a
    # cursor or beyond the window, from the table by time (the (created_at, id) index) — unless the window holds
    # every match (fewer than SEARCH_WINDOW): then from it too, since a rare word's walk by time reads the whole
    # table (~1 s for the second page of a word the busy user has 15 of). A one-time filter runs one of the two.
    key = "rank" if search.ranked else "created_at"
    order = "ASC" if search.page == "after" else "DESC"
    offset = search.page in ("window", "beyond")
    past = {"before": "<", "after": ">"}.get(search.page)

    def cut(source: SQL, where: str) -> SQL:
        sql, params = f"{source[0]} {where}", list(source[1])
        if past:
            # The first key bounded on its own too: an index scan starts at the cursor.
            sql = f"{sql} AND m.{key} {past}= %s AND (m.{key}, m.id) {past} (%s, %s)"
            params += [_KEY, _KEY, _KEY_ID]
        sql += f" ORDER BY m.{key} {order}, m.id {order} LIMIT %s" + (" OFFSET %s" if offset else "")
        return sql, [*params, _LIMIT, *([_OFFSET] if offset else [])]

    if search.ranked or search.page in ("newest", "window"):
        hits = cut(("SELECT * FROM newest m", []), "WHERE true")
    else:
        whole = f"(SELECT count(*) FROM newest) < {SEARCH_WINDOW}"
        inside, walk = cut(("SELECT * FROM newest m", []), f"WHERE {whole}"), cut(matches, f"AND NOT {whole}")
        hits = (f"({inside[0]}) UNION ALL ({walk[0]})", [*inside[1], *walk[1]])
    sql = (
        f"WITH {newest[0]}, hits AS MATERIALIZED ({hits[0]}) "
        "SELECT n.count, h.id, h.created_at, h.rank FROM (SELECT count(*) AS count FROM newest) n "
        f"LEFT JOIN hits h ON true ORDER BY h.{key} {order}, h.id {order}"
    )
    return sql, [*newest[1], *hits[1]]


def _hits_json_sql(context: SQLContext) -> SQL:
    """SearchHitShape's JSON of the messages `ids` (any order)."""
    readers = readers_cte(context, "page")
    snippets = snippets_cte("page")
    hit = json_object(SearchHitShape, {"message": message_json_sql(context), "snippet": "sn.snippet"}, context)
    sql = (
        f"WITH page AS MATERIALIZED (SELECT m.* FROM {MESSAGE} m WHERE m.id = ANY(%s)), {readers[0]}, "
        f"{snippets[0]} SELECT m.id, {hit[0]} FROM page m {MESSAGE_JOINS[0]} JOIN snippets sn ON sn.id = m.id"
    )
    return sql, [_IDS, *readers[1], *snippets[1], *hit[1], *MESSAGE_JOINS[1]]


_HITS_JSON = SQLOnce(_hits_json_sql)
_MY_CHATS = (
    f"SELECT ms.chat_id, c.message_count FROM {MEMBERSHIP} ms JOIN {Chat._meta.db_table} c ON c.id = ms.chat_id "
    "WHERE ms.user_id = %s"
)


def search_cursor(ranked: bool) -> RankCursor | TimeCursor:
    """The cursors of a search's pages: by rank, or by time."""
    return RANK_CURSOR if ranked else RECENT_CURSOR


class SearchPages:
    """The hits of a search as application.pagination.Keyset pages them: every message of the viewer's chats (or of
    `filters.chat`) that matches the query and the filters, ranked (the best of the newest SEARCH_WINDOW) or newest
    first; `count` counts matches up to SEARCH_WINDOW. A page is the viewer's chats, then its hits with the count
    (one statement, planned for its words and chats), then their JSON written by PostgreSQL (one statement,
    prepared like any other: planning it cost more than running it)."""

    def __init__(
        self, viewer: User, query: SearchQuery, filters: SearchFilters, *, ranked: bool, context: RenderContext
    ) -> None:
        self.viewer, self.query, self.filters, self.ranked, self.context = viewer, query, filters, ranked, context
        self.cursor = search_cursor(ranked)

    def _chats(self, cursor: Any) -> tuple[list[uuid.UUID], int]:
        """The chats searched and how many messages they hold (their counters)."""
        # The chats as a list, not a subquery: planned for the actual chats, a search of a user with a few small
        # chats reads their messages (0.5 ms), where the subquery's estimate walked the whole table by time
        # looking for them (1.5 s).
        if self.filters.chat is not None:
            return [self.filters.chat.pk], self.filters.chat.message_count
        cursor.execute(_MY_CHATS, [self.viewer.pk])
        rows = cursor.fetchall()
        return [chat_id for chat_id, _count in rows], sum(count for _chat, count in rows)

    def _run(self, page: str, **values: Any) -> Page[SearchHit]:
        filters, context = self.filters, self.context
        walk = SEARCH_WALK
        with connections[router.db_for_read(Message)].cursor() as cursor:
            chats, messages = self._chats(cursor)
            search = _Search(
                ranked=self.ranked,
                page=page,
                substring=self.query.substring,
                sender=filters.sender_id is not None,
                since=filters.since is not None,
                until=filters.until is not None,
                has_files=filters.has_files,
                # Up to SEARCH_WALK messages: the plan for their chats reads them (or walks the newest until it has
                # the window) without a second phase.
                bounded=messages > walk,
            )
            matching = self.query.values()
            sql, params = _hits_sql(search)
            values.update(chats=chats, sender=filters.sender_id, since=filters.since, until=filters.until, walk=walk)
            # Planned for its words and chats (application.plans).
            with searching():
                cursor.execute(sql, bind_params(params, {**matching, **values}))
                found = cursor.fetchall()
            keys = [(pk, created_at, rank) for _count, pk, created_at, rank in found if pk is not None]
            texts: dict[uuid.UUID, str] = {}
            if keys:
                big = settings.CONSTANTS.CONTRACT_GROUP_MAX_MEMBERS
                ids = [pk for pk, _at, _rank in keys]
                cursor.execute(*_HITS_JSON.bind(context, ids=ids, big=big, viewer=self.viewer.pk, **matching))
                texts = dict(cursor.fetchall())
        # A message deleted between the two statements is left out.
        hits = [
            SearchHit(pk, at, rank, Rendered(fix_urls(texts[pk].encode(), context)))
            for pk, at, rank in keys
            if pk in texts
        ]
        return Page(hits, found[0][0])

    def _past(self, raw: str) -> dict[str, Any]:
        key, pk = self.cursor.decode(raw)
        return {"key": key, "key_id": pk}

    def newest(self, limit: int, before: str | None) -> Page[SearchHit]:
        if before is None:
            return self._run("newest", limit=limit)
        return self._run("before", limit=limit, **self._past(before))

    def oldest_after(self, limit: int, after: str) -> Page[SearchHit]:
        return self._run("after", limit=limit, **self._past(after))

    def window(self, offset: int, limit: int) -> Page[SearchHit]:
        # Every page of hits is inside the newest SEARCH_WINDOW (what `count` counts), but the last recent page
        # may reach past them: rows that are there.
        if not self.ranked and offset < SEARCH_WINDOW < offset + limit:
            return self._run("beyond", offset=offset, limit=limit)
        return self._run("window", offset=min(offset, SEARCH_WINDOW), limit=limit)


def forward_audiences(row: MessageRow, user_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID | None, list[uuid.UUID]]]:
    """For an event about a forwarded message: the recipients who may see its original chat and those who may not
    (one query), each with the `chat` their payload shows; one audience for any other message."""
    forward = row.forwarded_from
    if forward is None or forward.source_chat is None:
        return [(None, user_ids)]
    members = set(
        Membership.objects.filter(chat_id=forward.source_chat, user_id__in=user_ids).values_list("user_id", flat=True)
    )
    audiences = [
        (forward.source_chat, [u for u in user_ids if u in members]),
        (None, [u for u in user_ids if u not in members]),
    ]
    return [(chat, users) for chat, users in audiences if users]


def mentions_of(viewer: User) -> QuerySet[Message]:
    """The messages that mention the viewer, in the chats they are still in (paginate them newest first with
    RECENT_CURSOR): the mentions' (user, created_at) index gives the few ids."""
    mentioned = Mention.objects.filter(user=viewer).values("message_id")
    return Message.objects.filter(
        pk__in=mentioned, chat_id__in=Membership.objects.filter(user=viewer).values("chat_id")
    )
