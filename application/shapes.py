"""Response shapes: every JSON object the API shows (a user, a message, a chat, a post, ...) is declared once, as a
`Shape` subclass whose class attributes are its fields, in output order. From that one declaration come:

- the representation, `Shape.render(row, context)`: the dict that REST responses and realtime events carry;
- the OpenAPI component, `Shape.serializer()`: a DRF serializer generated from the fields, for drf-spectacular;
- a strict check of a payload against the declaration, `Shape.check(data)` (the event catalogue's tests use it);
- for flat shapes, the same JSON written by PostgreSQL (`application.shapes_sql`), for lists of thousands of users.

A shape renders a *row*: any object with the attributes its fields read (a dataclass a selector built, or a model
instance). Rendering is the same for every viewer: what differs per viewer (a private chat's title, `liked_by_me`)
is computed by the selector into the row, so one rendered payload can serve REST and events alike.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

import orjson
from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from rest_framework import serializers


class ShapeError(ValueError):
    """A payload does not match its declared shape (raised by `Shape.check`)."""


class Rendered:
    """A JSON value already serialized (by PostgreSQL, or sliced from such text). The REST renderer copies the
    bytes into the response as they are; anything else sees the parsed value: DRF's own encoder calls `tolist()`,
    and code reading `response.data` can index, iterate and compare it like the value it holds."""

    __slots__ = ("_value", "raw")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._value: Any = None

    @classmethod
    def array(cls, items: Iterable[bytes]) -> Rendered:
        """A JSON array of already serialized items."""
        return cls(b"[" + b",".join(items) + b"]")

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
        return bool(self.tolist() == (other.tolist() if isinstance(other, Rendered) else other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rendered({self.raw!r})"


class RenderContext:
    """What one response (or one event) shares while rendering: the "online" threshold, so every user in it is
    judged at the same moment (PostgreSQL gets the same value), and the users rendered so far (a large group
    repeats the same users in `members` and in every message's `was_read_by`)."""

    def __init__(self, now: datetime.datetime | None = None) -> None:
        self.online_since = (now or timezone.now()) - settings.CONSTANTS.ONLINE_WINDOW
        self.cache: dict[tuple[type, object], dict[str, Any]] = {}

    @staticmethod
    def file_url(name: str | None) -> str | None:
        """A stored file's URL (absolute: MEDIA_URL is built from PUBLIC_URL, S3 URLs are absolute)."""
        return str(default_storage.url(name)) if name else None

    @staticmethod
    def datetime(value: datetime.datetime | None) -> str | None:
        """ISO 8601 in UTC with `Z`, microseconds only when not zero (as DRF writes UTC datetimes)."""
        if value is None:
            return None
        text = value.astimezone(datetime.UTC).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


# -------------------------------------------------------------------------------------------------------- fields
class Field:
    """One field of a shape. `source` is the row attribute it reads (default: its own name); `compute` derives
    the value from the whole row instead; `null` allows None."""

    json_types: tuple[type, ...] = ()

    def __init__(
        self,
        *,
        source: str | None = None,
        null: bool = False,
        compute: Callable[[Any, RenderContext], Any] | None = None,
        help_text: str = "",
    ) -> None:
        self.name = ""
        self.source = source
        self.null = null
        self.compute = compute
        self.help_text = help_text

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.source = self.source or name

    def value(self, row: Any, context: RenderContext) -> Any:
        if self.compute is not None:
            return self.compute(row, context)
        return getattr(row, self.source or self.name)

    def present(self, value: Any, context: RenderContext) -> Any:
        """The field's JSON value: None and already rendered values as they are, anything else rendered."""
        if value is None or value.__class__ is Rendered:
            return value
        return self.render(value, context)

    def render(self, value: Any, context: RenderContext) -> Any:
        return value

    def schema_field(self) -> serializers.Field:
        raise TypeError(f"{type(self).__name__} declares no OpenAPI type")

    def json_sql(self, column: str, context: SQLContext) -> tuple[str, list[Any]]:
        """SQL for this field's JSON text from its source column (application.shapes_sql)."""
        raise TypeError(f"{type(self).__name__} has no SQL form")

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"read_only": True, "allow_null": self.null}
        if self.help_text:
            options["help_text"] = self.help_text
        return options

    def check(self, value: Any, path: str) -> None:
        if value is None:
            if not self.null:
                raise ShapeError(f"{path}: null is not allowed")
            return
        if isinstance(value, bool) and bool not in self.json_types:
            raise ShapeError(f"{path}: expected {self.describe()}, got a boolean")
        if not isinstance(value, self.json_types):
            raise ShapeError(f"{path}: expected {self.describe()}, got {type(value).__name__}")
        self.check_value(value, path)

    def check_value(self, value: Any, path: str) -> None:
        """Checks beyond the JSON type (a UUID's format, ...)."""

    def describe(self) -> str:
        return type(self).__name__.lower()


class UUID(Field):
    json_types = (str,)

    def render(self, value: Any, context: RenderContext) -> str:
        return str(value)

    def schema_field(self) -> serializers.Field:
        return serializers.UUIDField(**self._options())

    def json_sql(self, column: str, context: SQLContext) -> tuple[str, list[Any]]:
        return f"""coalesce('"' || {column}::text || '"', 'null')""", []

    def check_value(self, value: str, path: str) -> None:
        try:
            uuid.UUID(value)
        except ValueError as exc:
            raise ShapeError(f"{path}: not a UUID: {value!r}") from exc


class Text(Field):
    json_types = (str,)

    def schema_field(self) -> serializers.Field:
        return serializers.CharField(**self._options())

    def json_sql(self, column: str, context: SQLContext) -> tuple[str, list[Any]]:
        # to_json escapes as orjson does (the renderer escapes U+2028/U+2029 in both afterwards).
        return f"coalesce(to_json({column}::text)::text, 'null')", []


class Choice(Text):
    """A text from a fixed set (the schema lists it as an enum)."""

    def __init__(self, choices: Iterable[str], **options: Any) -> None:
        super().__init__(**options)
        self.choices = list(choices)

    def schema_field(self) -> serializers.Field:
        return serializers.ChoiceField(choices=self.choices, **self._options())

    def check_value(self, value: str, path: str) -> None:
        if value not in self.choices:
            raise ShapeError(f"{path}: {value!r} is not one of {self.choices}")


class Integer(Field):
    json_types = (int,)

    def schema_field(self) -> serializers.Field:
        return serializers.IntegerField(**self._options())

    def json_sql(self, column: str, context: SQLContext) -> tuple[str, list[Any]]:
        return f"coalesce({column}::text, 'null')", []


class Boolean(Field):
    json_types = (bool,)

    def schema_field(self) -> serializers.Field:
        return serializers.BooleanField(**self._options())

    def json_sql(self, column: str, context: SQLContext) -> tuple[str, list[Any]]:
        return f"CASE WHEN {column} IS NULL THEN 'null' WHEN {column} THEN 'true' ELSE 'false' END", []


class DateTime(Field):
    json_types = (str,)

    def render(self, value: Any, context: RenderContext) -> str | None:
        return context.datetime(value)

    def schema_field(self) -> serializers.Field:
        return serializers.DateTimeField(**self._options())

    def json_sql(self, column: str, context: SQLContext) -> tuple[str, list[Any]]:
        # isoformat() in UTC, microseconds only when not zero, `Z` for UTC (RenderContext.datetime).
        return (
            f"""coalesce('"' || replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), """
            f"""'.000000', '') || 'Z"', 'null')""",
            [],
        )

    def check_value(self, value: str, path: str) -> None:
        try:
            datetime.datetime.fromisoformat(value)
        except ValueError as exc:
            raise ShapeError(f"{path}: not an ISO 8601 datetime: {value!r}") from exc


class FileURL(Field):
    """A stored file's absolute URL; the row holds its stored name (or a model's FieldFile)."""

    json_types = (str,)

    def render(self, value: Any, context: RenderContext) -> str | None:
        if isinstance(value, FieldFile):
            return value.storage.url(value.name) if value else None
        return context.file_url(value)

    def schema_field(self) -> serializers.Field:
        return serializers.URLField(**self._options())

    def check_value(self, value: str, path: str) -> None:
        if not value.startswith(("http://", "https://")):
            raise ShapeError(f"{path}: not an absolute URL: {value!r}")

    def json_sql(self, column: str, context: SQLContext) -> tuple[str, list[Any]]:
        # A name whose URL is not the storage's prefix + name (one that needs quoting, or every name of a storage
        # that signs its URLs) is written as the marker + the name, and its URL is written in Python
        # (application.shapes_sql.fix_urls).
        if context.url_prefix is None:
            return f"CASE WHEN coalesce({column}, '') = '' THEN 'null' ELSE to_json(%s || {column})::text END", [
                URL_MARKER
            ]
        return (
            f"CASE WHEN coalesce({column}, '') = '' THEN 'null' "
            f"ELSE to_json(CASE WHEN {column} ~ %s THEN %s ELSE %s END || {column})::text END",
            [SAFE_NAME, context.url_prefix, URL_MARKER],
        )


# Stored names whose URL is prefix + name for the storages probed by SQLContext: no quoting, no `.`/`..` segments.
SAFE_NAME = r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]*(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*$"
# What SQL writes before a stored name whose URL Python must write: no text of the database can hold it (a control
# character and a secret of this process), so it cannot be forged.
URL_MARKER = f"\x01url:{secrets.token_hex(8)}:"


class Param:
    """A value bound when a query runs (SQL written once: application.shapes_sql.SQLOnce)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Param({self.name!r})"


def bind_params(params: Iterable[Any], values: Mapping[str, Any]) -> list[Any]:
    """A query's parameters with each `Param` replaced by its value."""
    return [values[p.name] if isinstance(p, Param) else p for p in params]


class SQLContext:
    """What SQL-written JSON needs from a RenderContext: the online threshold (or, for SQL written once, a `Param`
    bound to it at each run), and the URL prefix of stored names when every safe name's URL is that prefix + the
    name (None for storages that sign or rewrite URLs)."""

    # Two names covering every character SAFE_NAME allows: both URLs must be the same prefix plus the name.
    PROBES = ("avatars/ab/0123456789abcdef.png", "Zy_~-/x.Y-z_9~")
    ONLINE_SINCE = Param("online_since")

    def __init__(self, context: RenderContext, *, once: bool = False) -> None:
        self.render_context = context
        self.online_since: datetime.datetime | Param = self.ONLINE_SINCE if once else context.online_since
        self.url_prefix = self._url_prefix(context)

    @classmethod
    def _url_prefix(cls, context: RenderContext) -> str | None:
        prefix = None
        for probe in cls.PROBES:
            url = context.file_url(probe)
            if not url or not url.endswith(probe) or prefix not in (None, url[: -len(probe)]):
                return None
            prefix = url[: -len(probe)]
        return prefix


class ListOf(Field):
    """A JSON array of one scalar field's values (e.g. image URLs)."""

    json_types = (list,)

    def __init__(self, item: Field, **options: Any) -> None:
        super().__init__(**options)
        self.item = item

    def render(self, value: Any, context: RenderContext) -> list[Any]:
        return [self.item.render(item, context) for item in value]

    def schema_field(self) -> serializers.Field:
        return serializers.ListField(child=self.item.schema_field(), **self._options())

    def check_value(self, value: list[Any], path: str) -> None:
        for index, item in enumerate(value):
            self.item.check(item, f"{path}[{index}]")

    def describe(self) -> str:
        return f"[{self.item.describe()}]"

    def json_sql(self, column: str, context: SQLContext) -> tuple[str, list[Any]]:
        # An array column of items PostgreSQL's to_json writes as orjson does (no datetimes, no file URLs).
        if not isinstance(self.item, UUID | Text | Integer | Boolean):
            raise TypeError(f"ListOf({type(self.item).__name__}) has no SQL form")
        return f"coalesce(to_json({column})::text, 'null')", []


class Nested(Field):
    """Another shape (or a list of it with `many`). The row may hold it already rendered (`Rendered`)."""

    def __init__(self, shape: type[Shape], *, many: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.shape = shape
        self.many = many
        self.json_types = (list,) if many else (dict,)

    def render(self, value: Any, context: RenderContext) -> Any:
        if self.many:
            return [item if isinstance(item, Rendered) else self.shape.render(item, context) for item in value]
        return self.shape.render(value, context)

    def schema_field(self) -> serializers.Field:
        options = self._options()
        if self.many:
            options.pop("allow_null")
            return self.shape.serializer()(many=True, **options)
        return self.shape.serializer()(**options)

    def check(self, value: Any, path: str) -> None:
        if isinstance(value, Rendered):
            value = value.tolist()
        super().check(value, path)

    def check_value(self, value: Any, path: str) -> None:
        if self.many:
            for index, item in enumerate(value):
                self.shape.check(item, f"{path}[{index}]")
        else:
            self.shape.check(value, path)

    def describe(self) -> str:
        return f"[{self.shape.schema_name}]" if self.many else self.shape.schema_name


class Constant(Field):
    """A fixed text, the same in every payload (an event's `event` name)."""

    json_types = (str,)

    def __init__(self, text: str, **options: Any) -> None:
        super().__init__(compute=lambda row, context: text, **options)
        self.text = text

    def schema_field(self) -> serializers.Field:
        return serializers.ChoiceField(choices=[self.text], **self._options())

    def check_value(self, value: str, path: str) -> None:
        if value != self.text:
            raise ShapeError(f"{path}: expected {self.text!r}, got {value!r}")


# -------------------------------------------------------------------------------------------------------- shapes
class Shape:
    """A declared JSON object. Subclasses list their fields as class attributes (inherited fields come first);
    `schema_name` names the OpenAPI component (default: the class name without a `Shape` suffix)."""

    fields: ClassVar[dict[str, Field]] = {}
    schema_name: ClassVar[str] = ""
    _plan: ClassVar[list[tuple[str, Callable[[Any, RenderContext], Any], Callable[[Any, RenderContext], Any]]]] = []
    _serializer: ClassVar[type[serializers.Serializer] | None] = None
    # Render each row once per context, keyed by this attribute (users repeat within a response).
    cache_key: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = {name: value for name, value in vars(cls).items() if isinstance(value, Field)}
        cls.fields = {**{n: f for n, f in cls.fields.items() if n not in own}, **own}
        cls._plan = [(name, field.value, field.present) for name, field in cls.fields.items()]
        cls._serializer = None
        cls.schema_name = cls.__dict__.get("schema_name") or cls.__name__.removesuffix("Shape")

    @classmethod
    def render(cls, row: Any, context: RenderContext) -> dict[str, Any]:
        if cls.cache_key is None:
            return {name: render(get(row, context), context) for name, get, render in cls._plan}
        key = (cls, getattr(row, cls.cache_key))
        data = context.cache.get(key)
        if data is None:
            data = context.cache[key] = {name: render(get(row, context), context) for name, get, render in cls._plan}
        return data

    @classmethod
    def render_many(cls, rows: Iterable[Any], context: RenderContext) -> list[dict[str, Any]]:
        return [cls.render(row, context) for row in rows]

    @classmethod
    def serializer(cls) -> type[serializers.Serializer]:
        """The OpenAPI component: a read-only DRF serializer generated from the fields (never used to render)."""
        if cls._serializer is None:
            attrs: dict[str, Any] = {name: field.schema_field() for name, field in cls.fields.items()}
            attrs["__doc__"] = cls.__doc__
            attrs["__module__"] = cls.__module__
            cls._serializer = type(cls.schema_name, (serializers.Serializer,), attrs)
        assert cls._serializer is not None
        return cls._serializer

    @classmethod
    def check(cls, data: Any, path: str = "") -> None:
        """Raise ShapeError unless `data` (plain JSON values) has exactly the declared fields, each of its type."""
        path = path or cls.__name__
        if isinstance(data, Rendered):
            data = data.tolist()
        if not isinstance(data, Mapping):
            raise ShapeError(f"{path}: expected an object, got {type(data).__name__}")
        # The keys, in any order (a payload stored as jsonb comes back with its keys reordered).
        if set(data) != set(cls.fields):
            missing, extra = sorted(set(cls.fields) - set(data)), sorted(set(data) - set(cls.fields))
            raise ShapeError(f"{path}: fields differ from the declared ones: missing {missing}, undeclared {extra}")
        for name, field in cls.fields.items():
            field.check(data[name], f"{path}.{name}")
