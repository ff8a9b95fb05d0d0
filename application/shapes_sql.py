"""Flat shapes (a user) written as JSON text by PostgreSQL, generated from the shape's own declaration.

A 1,000-member group repeats its users in a chat's `members` and in every message's `was_read_by`: building those
dicts in Python and having orjson write them back was most of such a response's time. Instead the query returns each
row's JSON text, byte for byte what orjson writes for `Shape.render` (each field kind knows its SQL form:
`Field.json_sql`), and the lists reach the renderer as `Rendered` text.

File URLs are written by the SQL when the storage's URL for a name is a fixed prefix + the name; names that would
need quoting, or every name of a storage that signs its URLs, come back in a second column and are fixed in Python
(`JSONRows.fix`).
"""

from __future__ import annotations

from typing import Any

import orjson
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Func, TextField
from django.db.models.sql.compiler import SQLCompiler

from application.shapes import SAFE_NAME, FileURL, RenderContext, Shape, SQLContext


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
        parts: list[str] = []
        params: list[Any] = []
        for index, ((name, field), expression) in enumerate(
            zip(self.shape.fields.items(), self.get_source_expressions(), strict=True)
        ):
            column, column_params = compiler.compile(expression)
            assert not column_params, "a shape's source columns take no parameters"
            value, value_params = field.json_sql(column, self.context)
            key = ("{" if index == 0 else ",") + orjson.dumps(name).decode() + ":"
            parts.append(f"'{key}' || {value}")
            params.extend(value_params)
        return "(" + " || ".join(parts) + " || '}')", params


class UnsafeNames(Func):
    """The stored names of a row's file fields that the SQL wrote as null although they are not empty: a JSON
    object `{"<field>": "<name>"}`, or NULL when there is nothing to fix (the common case)."""

    output_field = TextField()

    def __init__(self, fields: dict[str, str], prefix: str, context: SQLContext) -> None:
        self.names = list(fields)  # field name -> source column
        self.context = context
        super().__init__(*(F(prefix + source) for source in fields.values()))

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        pairs: list[str] = []
        params: list[Any] = []
        for name, expression in zip(self.names, self.get_source_expressions(), strict=True):
            column, _params = compiler.compile(expression)
            condition = f"coalesce({column}, '') <> ''"
            if self.context.url_prefix is not None:
                condition += f" AND {column} !~ %s"
                params.append(SAFE_NAME)
            pairs.append(f"'{name}', CASE WHEN {condition} THEN {column} END")
        return f"nullif(jsonb_strip_nulls(jsonb_build_object({', '.join(pairs)}))::text, '{{}}')", params


class JSONRows:
    """The two expressions that give a flat shape's JSON for a related row (`prefix` reaches it), and the fix of
    the rows whose file names the SQL could not turn into URLs."""

    def __init__(self, shape: type[Shape], context: RenderContext, prefix: str = "") -> None:
        self.context = context
        sql_context = SQLContext(context)
        files = {name: field.source or name for name, field in shape.fields.items() if isinstance(field, FileURL)}
        self.json = ShapeJSON(shape, prefix, sql_context)
        self.unsafe = UnsafeNames(files, prefix, sql_context)

    def fix(self, text: str, unsafe: str | None) -> bytes:
        """The row's JSON bytes, with the URLs of the names in `unsafe` (the UnsafeNames column) written in."""
        if unsafe is None:
            return text.encode()
        data = orjson.loads(text)
        for field, name in orjson.loads(unsafe).items():
            data[field] = self.context.file_url(name)
        return orjson.dumps(data)
