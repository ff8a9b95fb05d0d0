"""Shared view pieces: a paginated list of a shape that only says what it lists, and its OpenAPI GET."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.pagination import page_or_offset_paginator
from application.schema import ERROR_RESPONSES, LIMIT_OFFSET_PARAMETERS, PAGE_PARAMETERS, paginated
from application.shapes import RenderContext, Shape


# A paginated GET (the contract's page numbers, or limit/offset) of `shape`; subclasses give the query in
# `list_queryset()`, whose items are the shape's rows. No docstring: drf-spectacular would show it as the description
# of every operation of every subclass.
class ShapeListView(APIView):
    shape: ClassVar[type[Shape]]

    def list_queryset(self) -> QuerySet:
        raise TypeError(f"{type(self).__name__} must define list_queryset()")

    def get(self, request: Request, **kwargs: Any) -> Response:
        paginator = page_or_offset_paginator(request)
        page = paginator.paginate_queryset(self.list_queryset(), request, view=self)
        return paginator.get_paginated_response(self.shape.render_many(page or [], RenderContext()))


def list_schema(
    summary: str, *, tags: list[str], **kwargs: Any
) -> Callable[[type[ShapeListView]], type[ShapeListView]]:
    """Documents a `ShapeListView`'s GET: 200 with a page of its shape, plus the shared errors."""

    def decorate(view: type[ShapeListView]) -> type[ShapeListView]:
        page = paginated(view.shape.serializer(), f"Paginated{view.shape.schema_name}List")
        responses = {200: page, **ERROR_RESPONSES}
        parameters = [*PAGE_PARAMETERS, *LIMIT_OFFSET_PARAMETERS, *kwargs.pop("parameters", [])]
        schema = extend_schema(summary=summary, responses=responses, parameters=parameters, tags=tags, **kwargs)
        return extend_schema_view(get=schema)(view)

    return decorate
