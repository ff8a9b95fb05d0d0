"""The feed's pagination: keyset cursors on (created_at, id), with the contract's page numbers kept for clients
that send `page`.

- Without `page`: `?before=<cursor>` walks to older posts, `?after=<cursor>` to newer ones, `page_size` as
  everywhere. `next` is `before=<last post>` (older), `previous` is `after=<first post>` (newer); each is null when
  there is nothing that way. A cursor is opaque (base64 of the post's `created_at` and `id`). Posts published while
  a client scrolls cause neither duplicates nor gaps, and page 1,000 costs what page 1 does: the query is
  `WHERE created_at <= t AND (created_at < t OR id < x) ORDER BY created_at DESC, id DESC LIMIT n + 1` on the
  (created_at, id) index — the redundant `created_at <= t` is what lets PostgreSQL start the index scan at the
  cursor instead of filtering its way down from the newest post.
- With `page`: the contract's `?page=&page_size=` (an out-of-range page is 404 "Invalid page.").

Both answer `{count, next, previous, results}`; `count` is the number of posts the filters match.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from application.pagination import PageNumberPagination


def encode_cursor(created_at: datetime, pk: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{pk.hex}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, pk = raw.split("|")
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:
            raise ValueError("naive cursor")
        return moment, uuid.UUID(hex=pk)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise NotFound(_("Invalid cursor.")) from exc


def _older(created_at: datetime, pk: uuid.UUID) -> Q:
    return Q(created_at__lte=created_at) & (Q(created_at__lt=created_at) | Q(id__lt=pk))


def _newer(created_at: datetime, pk: uuid.UUID) -> Q:
    return Q(created_at__gte=created_at) & (Q(created_at__gt=created_at) | Q(id__gt=pk))


class FeedPagination(pagination.BasePagination):
    """Keyset cursors by default, page numbers when `page` is given (see the module docstring)."""

    def __init__(self) -> None:
        self.numbered = PageNumberPagination()
        self.use_numbers = False
        self.count = 0
        self.next: str | None = None
        self.previous: str | None = None

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list:
        self.request = request
        params = request.query_params
        if "page" in params:
            self.use_numbers = True
            return self.numbered.paginate_queryset(queryset, request, view)
        before, after = params.get("before"), params.get("after")
        if before and after:
            raise ValidationError({"before": [_("Use either `before` or `after`, not both.")]})
        size = self.numbered.get_page_size(request)
        self.count = queryset.count()
        if after:
            created_at, pk = decode_cursor(after)
            rows = list(queryset.filter(_newer(created_at, pk)).order_by("created_at", "id")[: size + 1])
            more_newer = len(rows) > size
            rows = rows[:size][::-1]
            if rows:
                self.previous = self._link("after", rows[0]) if more_newer else None
                self.next = self._link("before", rows[-1]) if self._exists_older(queryset, rows[-1]) else None
            return rows
        ordered = queryset.order_by("-created_at", "-id")
        if before:
            created_at, pk = decode_cursor(before)
            ordered = ordered.filter(_older(created_at, pk))
        rows = list(ordered[: size + 1])
        more_older = len(rows) > size
        rows = rows[:size]
        if rows:
            self.next = self._link("before", rows[-1]) if more_older else None
            if before and self._exists_newer(queryset, rows[0]):
                self.previous = self._link("after", rows[0])
        return rows

    def _exists_older(self, queryset: QuerySet, post: Any) -> bool:
        return queryset.filter(_older(post.created_at, post.pk)).order_by().exists()

    def _exists_newer(self, queryset: QuerySet, post: Any) -> bool:
        return queryset.filter(_newer(post.created_at, post.pk)).order_by().exists()

    def _link(self, name: str, post: Any) -> str:
        url = self.request.build_absolute_uri()
        for param in ("page", "before", "after"):
            url = remove_query_param(url, param)
        return replace_query_param(url, name, encode_cursor(post.created_at, post.pk))

    def get_paginated_response(self, data: list) -> Response:
        if self.use_numbers:
            return self.numbered.get_paginated_response(data)
        return Response({"count": self.count, "next": self.next, "previous": self.previous, "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return self.numbered.get_paginated_response_schema(schema)

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        def param(name: str, description: str, kind: str = "string") -> dict:
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": kind},
            }

        return [
            param("before", "Cursor: posts older than this one (the `next` link carries it)"),
            param("after", "Cursor: posts newer than this one (the `previous` link carries it)"),
            param("page_size", "Posts per page (default 10, at most 100)", "integer"),
            param("page", "Page number (the contract's paging; disables cursors)", "integer"),
        ]
