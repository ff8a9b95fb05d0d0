"""Shapes written as JSON text by PostgreSQL, generated from the shapes' own declarations.

A 1,000-member group repeats its users in a chat's `members`, and a page of messages repeats users in senders and
readers: building those dicts in Python and having orjson write them back was most of such a response's time.
Instead the query returns each object's JSON text, byte for byte what orjson writes for `Shape.render` (each field
kind knows its SQL form: `Field.json_sql`), and the response copies it as `Rendered` text.

- `json_object(shape, sources, context)`: the SQL of one object's JSON text, its fields in declared order, from an
  SQL expression per field (a column for a scalar field; JSON text for a nested one, so objects nest);
- `ShapeJSON`: the same as an ORM expression for a flat shape reached through a relation (`user__`);
- `SQLOnce`: SQL generated once per process (and storage URL prefix) with `Param`s bound at each run, so hot
  queries cost their execution only, not the ORM's compilation;
- `fix_urls`: file URLs SQL cannot write (names that need quoting, storages that sign URLs) come out of SQL as a
  marker + the stored name, and are written here, wherever they are nested.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Func, Model, TextField
from django.db.models import Field as ModelField
from django.db.models.sql.compiler import SQLCompiler

from application.shapes import URL_MARKER, Nested, RenderContext, Shape, SQLContext, bind_params

SQL = tuple[str, list[Any]]  # SQL text and its parameters, in order


def json_object(shape: type[Shape], sources: Mapping[str, str | SQL], context: SQLContext) -> SQL:
    """The SQL of `shape`'s compact JSON text. `sources[name]` is each field's SQL expression: its column (written
    by the field's own `json_sql`), or, for a nested shape, an expression that is already JSON text (with its
    parameters: `(sql, params)`), so objects nest."""
    if set(sources) != set(shape.fields):
        missing, extra = sorted(set(shape.fields) - set(sources)), sorted(set(sources) - set(shape.fields))
        raise ValueError(f"{shape.__name__}: sources missing {missing}, undeclared {extra}")
    parts: list[str] = []
    params: list[Any] = []
    for index, (name, field) in enumerate(shape.fields.items()):
        given = sources[name]
        source, source_params = given if isinstance(given, tuple) else (given, [])
        value_params: list[Any]
        if isinstance(field, Nested):
            empty = "'[]'" if field.many else "'null'"
            value, value_params = f"coalesce({source}, {empty})", list(source_params)
        else:
            assert not source_params, f"{shape.__name__}.{name}: a column takes no parameters"
            # Parenthesized: a source may be an expression (`a - b`), and a field's SQL applies casts to it.
            value, value_params = field.json_sql(source if _plain(source) else f"({source})", context)
        key = ("{" if index == 0 else ",") + orjson.dumps(name).decode() + ":"
        parts.append(f"'{key}' || {value}")
        params.extend(value_params)
    return "(" + " || ".join(parts) + " || '}')", params


def _plain(source: str) -> bool:
    """A bare column (`alias."name"`, `alias.name`): no parentheses needed."""
    return source.replace('"', "").replace(".", "").replace("_", "").isalnum()


def columns(shape: type[Shape], model: type[Model], alias: str, **nested: str | SQL) -> dict[str, str | SQL]:
    """`json_object`'s sources for a shape whose fields are `model`'s columns under `alias` (each field's `source`
    names the model field), and `nested` for its nested fields."""
    sources: dict[str, str | SQL] = dict(nested)
    for name, field in shape.fields.items():
        if name not in sources:
            model_field = model._meta.get_field(field.source or name)
            assert isinstance(model_field, ModelField), f"{model.__name__}.{field.source}: not a column"
            sources[name] = f'{alias}."{model_field.column}"'
    return sources


def json_array(item: str, order: str = "") -> str:
    """An aggregate: the JSON array text of the rows' `item` JSON texts (NULL for no rows: coalesced by the nesting
    field)."""
    return f"'[' || string_agg({item}, ','{' ORDER BY ' + order if order else ''}) || ']'"


class ShapeJSON(Func):
    """The compact JSON text of a flat shape's row, reached through `prefix` (e.g. "user__")."""

    output_field = TextField()

    def __init__(self, shape: type[Shape], prefix: str, context: SQLContext) -> None:
        self.shape = shape
        self.context = context
        super().__init__(*(F(prefix + (field.source or name)) for name, field in shape.fields.items()))

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        sources: dict[str, str | SQL] = {}
        for name, expression in zip(self.shape.fields, self.get_source_expressions(), strict=True):
            column, column_params = compiler.compile(expression)
            assert not column_params, "a shape's source columns take no parameters"
            sources[name] = column
        sql, params = json_object(self.shape, sources, self.context)
        return sql, params


class JSONRows:
    """The expression that gives a flat shape's JSON for a related row (`prefix` reaches it), and the fix of the
    file URLs SQL could not write."""

    def __init__(self, shape: type[Shape], context: RenderContext, prefix: str = "") -> None:
        self.context = context
        self.json = ShapeJSON(shape, prefix, SQLContext(context))

    def fix(self, text: str) -> bytes:
        return fix_urls(text.encode(), self.context)


_MARKER = orjson.dumps(URL_MARKER)[1:-1]  # as JSON writes it inside a string: `\u0001url:<secret>:`
_MARKED = re.compile(b'"' + re.escape(_MARKER) + rb'((?:[^"\\]|\\.)*)"')


def fix_urls(data: bytes, context: RenderContext) -> bytes:
    """SQL-written JSON with every marked stored name replaced by its URL (the storage's own `url()`)."""
    if _MARKER not in data:
        return data

    def url(match: re.Match[bytes]) -> bytes:
        return orjson.dumps(context.file_url(orjson.loads(b'"' + match.group(1) + b'"')))

    return _MARKED.sub(url, data)


class SQLOnce:
    """A query generated once per process and storage URL prefix by `build(context)`, which writes `Param`s
    (`SQLContext.ONLINE_SINCE`, and its own) where per-run values go. Hot read paths run it with `bind`: no ORM
    compilation per request (it cost more than executing the query)."""

    def __init__(self, build: Callable[[SQLContext], SQL]) -> None:
        self.build = build
        self.cache: dict[str | None, SQL] = {}

    def bind(self, context: RenderContext, **values: Any) -> SQL:
        sql_context = SQLContext(context, once=True)
        built = self.cache.get(sql_context.url_prefix)
        if built is None:
            built = self.cache[sql_context.url_prefix] = self.build(sql_context)
        sql, params = built
        values["online_since"] = context.online_since
        return sql, bind_params(params, values)
