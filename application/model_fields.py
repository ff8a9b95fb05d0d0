"""A model's table columns through Django's documented `_meta` API (`get_fields()` and `Field.concrete`), for the
hot paths that write their SQL once and turn rows into models with `Model.from_db`."""

from __future__ import annotations

from functools import cache
from typing import TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


def table_fields(model: type[Model], *, inherited: bool = True) -> list[Field]:
    """The fields that are columns (no many-to-many, no reverse relations), in declaration order; `inherited`
    False leaves out the columns of a parent model's table."""
    fields = model._meta.get_fields(include_parents=inherited)
    return [field for field in fields if field.concrete and not field.many_to_many]  # type: ignore[union-attr]


def select_list(model: type[Model], alias: str) -> str:
    """`alias."column", ...` for `table_fields(model)`, in the same order (as `Model.from_db` takes them)."""
    return ", ".join(f"{alias}.{connection.ops.quote_name(field.column)}" for field in table_fields(model))


@cache
def attnames(model: type[Model]) -> list[str]:
    return [field.attname for field in table_fields(model)]


def from_row(model: type[M], alias: str, values: tuple[object, ...]) -> M:
    """A model instance from the columns `select_list(model, ...)` selected, as loaded from database `alias`."""
    return model.from_db(alias, attnames(model), values)
