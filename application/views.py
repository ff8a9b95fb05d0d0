"""Shared view pieces: a paginated list that only says what it lists, its OpenAPI GET, and a serialized response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from application.schema import ERROR_RESPONSES


# A paginated GET of `serializer_class` items; subclasses give the query in `list_queryset()`. During schema
# generation (no request user) the query is the empty queryset of the serializer's model. No docstring: drf-spectacular
# would show it as the description of every operation of every subclass.
class ListView(generics.ListAPIView):
    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.get_serializer_class().Meta.model.objects.none()
        return self.list_queryset()  # every subclass defines it (friends and posts list views)


def list_schema(summary: str, *, tags: list[str], **kwargs: Any) -> Callable[[type[ListView]], type[ListView]]:
    """Documents a `ListView`'s GET: 200 with a page of its `serializer_class`, plus the shared errors."""

    def decorate(view: type[ListView]) -> type[ListView]:
        responses = {200: view.serializer_class(many=True), **ERROR_RESPONSES}
        return extend_schema_view(get=extend_schema(summary=summary, responses=responses, tags=tags, **kwargs))(view)

    return decorate


def serialized(
    request: Request, serializer_class: type[BaseSerializer], instance: Any, *, status_code: int = status.HTTP_200_OK
) -> Response:
    """`instance` through `serializer_class` (with the request in its context, for absolute URLs)."""
    return Response(serializer_class(instance, context={"request": request}).data, status=status_code)
