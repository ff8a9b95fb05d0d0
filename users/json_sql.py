"""Users as JSON text written by PostgreSQL: the member lists of large groups without per-user Python work.

A 1,000-member group repeats its users in a chat's `members` and in every message's `was_read_by`. Building
those dicts in Python (parsing UUIDs and timestamps, formatting them, orjson writing them back) was most of the
time of such responses. On PostgreSQL the query returns each user's compact JSON exactly as
`UserDicts.from_values` renders it, and the lists go to the renderer as JSON text (`JSONText`).

The SQL path is taken only when its output is certain to match: PostgreSQL, datetimes in UTC, and avatar URLs
that are "prefix + name" (probed on the storage once per query). Avatar names that would need URL quoting are
flagged per row and fixed in Python. Anything else keeps the Python path (`user_json_columns` returns None).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from django.db.models import CharField, DateTimeField, Expression, F, Func, TextField, Value

from users.serializers import USER_COLUMNS, UserDicts

# Names whose URL is prefix + name for the storages probed below: no quoting, no `.`/`..` segments to resolve.
_SAFE_NAME = r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]*(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*$"
# Two names covering every character _SAFE_NAME allows: both URLs must be the same prefix plus the name.
_PROBES = ("avatars/ab/0123456789abcdef.png", "Zy_~-/x.Y-z_9~")
_UTC_NAMES = {"UTC", "Etc/UTC"}


class JSONText:
    """A JSON value kept as its serialized bytes. The REST renderer copies them into the response as they are
    (messages.renderers); anything else sees the parsed value: DRF's own encoder calls `tolist()`, and code
    reading `response.data` can index, iterate and compare it like the list it holds."""

    __slots__ = ("_value", "raw")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._value: Any = None

    @classmethod
    def array(cls, items: Iterable[str]) -> JSONText:
        """A JSON array of already serialized items."""
        return cls(("[" + ",".join(items) + "]").encode())

    def tolist(self) -> Any:
        if self._value is None:
            self._value = orjson.loads(self.raw)
        return self._value

    def __len__(self) -> int:
        return len(self.tolist())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.tolist())

    def __getitem__(self, key: Any) -> Any:
        return self.tolist()[key]

    def __eq__(self, other: object) -> bool:
        return self.tolist() == (other.tolist() if isinstance(other, JSONText) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"JSONText({self.raw!r})"


class MemberTexts(list):
    """Membership rows whose user is JSON text: `(last_read_seq, unread_count, user id as text, user JSON)`, in
    the order of the query. The Python path's rows are `(last_read_seq, unread_count, *USER_COLUMNS)` instead."""


class UserJSON(Func):
    """The compact JSON text of a user, byte for byte what orjson writes for `UserDicts.from_values` (keys in
    UserSerializer's order, `"k":v` separators — json_build_object would put spaces around the colons)."""

    output_field = TextField()

    def __init__(self, prefix: str, avatar_url_prefix: str, online_since: datetime.datetime) -> None:
        super().__init__(
            *(F(prefix + column) for column in USER_COLUMNS),
            Value(avatar_url_prefix, output_field=CharField()),
            Value(online_since, output_field=DateTimeField()),
        )

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        compiled = [compiler.compile(expression) for expression in self.get_source_expressions()]
        sql: list[str] = []
        params: list[Any] = []

        def add(text: str, *operands: int) -> None:
            # `{}` in `text` are the compiled operands in order; their params follow in the same order.
            sql.append(text.format(*(compiled[i][0] for i in operands)))
            for i in operands:
                params.extend(compiled[i][1])

        pk, username, first_name, last_name, bio, avatar, last_online_at, url_prefix, online_since = range(9)
        add("""('{{"id":"' || {}::text || '","username":' || to_json({}::text)::text""", pk, username)
        add("""|| ',"first_name":' || to_json({}::text)::text""", first_name)
        add("""|| ',"last_name":' || to_json({}::text)::text""", last_name)
        add("""|| ',"bio":' || coalesce(to_json({}::text)::text, 'null')""", bio)
        add(
            """|| ',"avatar":' || CASE WHEN coalesce({}, '') = '' THEN 'null' ELSE to_json({}::text || {})::text END""",
            avatar,
            url_prefix,
            avatar,
        )
        # datetime.isoformat() in UTC (microseconds only when not zero), with `Z` as DRF writes UTC.
        add(
            """|| ',"last_online_at":' || coalesce('"' || replace(to_char({} AT TIME ZONE 'UTC',"""
            """ 'YYYY-MM-DD"T"HH24:MI:SS.US'), '.000000', '') || 'Z"', 'null')""",
            last_online_at,
        )
        add(
            """|| ',"is_online":' || CASE WHEN {} >= {} THEN 'true' ELSE 'false' END || '}}')""",
            last_online_at,
            online_since,
        )
        return " ".join(sql), params


class UnsafeAvatar(Func):
    """The avatar name when its URL is not prefix + name (it needs quoting): the Python path fixes that user."""

    output_field = TextField()

    def __init__(self, prefix: str) -> None:
        super().__init__(F(prefix + "avatar"))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"CASE WHEN {sql} <> '' AND {sql} !~ %s THEN {sql} END", [*params, *params, _SAFE_NAME, *params]


# Off: every caller takes the Python path (tests compare both).
ENABLED = True


def _avatar_url_prefix(users: UserDicts) -> str | None:
    """The URL prefix of stored names as `users.file_url` writes them, if every safe name's URL is prefix + name."""
    prefix = None
    for probe in _PROBES:
        url = users.file_url(users.storage, probe)
        if not url or not url.endswith(probe) or prefix not in (None, url[: -len(probe)]):
            return None
        prefix = url[: -len(probe)]
    return prefix


def user_json_columns(users: UserDicts | None, prefix: str = "") -> tuple[Expression, Expression] | None:
    """`(user JSON, unsafe avatar name)` expressions for `.values_list()` (`prefix` reaches the user, e.g.
    "user__"), or None where the Python path must build the users: datetimes not in UTC, storages
    whose URLs are not prefix + name (signed URLs)."""
    if not ENABLED or users is None:
        return None
    zone = users.zone
    if zone is None or not (zone is datetime.UTC or getattr(zone, "key", None) in _UTC_NAMES):
        return None
    url_prefix = _avatar_url_prefix(users)
    if url_prefix is None:
        return None
    return UserJSON(prefix, url_prefix, users.online_since), UnsafeAvatar(prefix)


def fix_avatar(users: UserDicts, text: str, name: str) -> str:
    """A user JSON text with the avatar URL of a name the SQL could not write (storage quoting)."""
    data = orjson.loads(text)
    data["avatar"] = users.file_url(users.storage, name)
    return orjson.dumps(data).decode()
