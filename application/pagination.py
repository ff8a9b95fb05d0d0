"""The contract's pagination: `?page=&page_size=` → `{count, next, previous, results}`; keyset cursors for history."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from application.query import query_int


class PageNumberPagination(pagination.PageNumberPagination):
    """Default page size 10, at most 100; an out-of-range page is 404 `{"detail": "Invalid page."}`."""

    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int:
        return min(query_int(request, "page_size", minimum=1, default=self.page_size), self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        from application.schema import PAGE_PARAMETERS

        return [
            {"name": p.name, "in": "query", "required": False, "description": p.description, "schema": p.type}
            for p in PAGE_PARAMETERS
        ]

    @property
    def page_size(self) -> int:  # read at request time so tests can override the constants
        return settings.CONSTANTS.PAGE_SIZE

    @property
    def max_page_size(self) -> int:
        return settings.CONSTANTS.MAX_PAGE_SIZE


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`?limit=&offset=` (some clients of the contract page this way), with the same limits as pages."""

    @property
    def default_limit(self) -> int:
        return settings.CONSTANTS.PAGE_SIZE

    @property
    def max_limit(self) -> int:
        return settings.CONSTANTS.MAX_PAGE_SIZE

    def get_limit(self, request: Request) -> int:
        return min(query_int(request, "limit", minimum=1, default=self.default_limit), self.max_limit)

    def get_offset(self, request: Request) -> int:
        return query_int(request, "offset", minimum=0, default=0)


def page_or_offset_paginator(request: Request) -> pagination.BasePagination:
    """Page numbers by default, limit/offset when the request uses them."""
    params = request.query_params
    return LimitOffsetPagination() if "limit" in params or "offset" in params else PageNumberPagination()


class KeysetPagination:
    """Pages of a list ordered newest first by a unique integer key (a message's `seq`), in three modes:

    - `before=<id>` / `after=<id>` (with `page_size`): keyset cursors — `WHERE key < x ORDER BY key DESC LIMIT n`
      walks the index, so page 100,000 costs what page 1 does, and messages arriving meanwhile cause neither gaps
      nor duplicates. `next` is `before=<last id>` (older), `previous` is `after=<first id>` (newer).
      Without any paging parameter the first (newest) page is served in this mode, so following `next` is safe.
    - `page` (with `page_size`): the contract's page numbers; an out-of-range page is 404 "Invalid page.".
    - `limit`/`offset`.

    `count` is a callable so callers can answer it from a counter instead of a COUNT(*). `cursor_key` turns a
    cursor into its key: a value, or an expression evaluated inside the page's query; with an expression,
    `cursor_check` is called when a cursor page comes back empty, to refuse a cursor that does not exist.
    """

    def paginate(
        self,
        queryset: QuerySet,
        request: Request,
        *,
        count: Callable[[], int],
        cursor_key: Callable[[str], Any],
        cursor_check: Callable[[str], object] | None = None,
        key: str = "seq",
    ) -> list:
        self.request = request
        self.key = key
        params = request.query_params
        self.count = count()
        self.next = self.previous = None
        self.cursor_check = cursor_check
        if params.get("before") or params.get("after"):
            return self._cursor_page(queryset, cursor_key)
        if "limit" in params or "offset" in params:
            return self._offset_page(queryset)
        if "page" in params:
            return self._numbered_page(queryset)
        return self._cursor_page(queryset, cursor_key)

    def get_paginated_response(self, data: list) -> Response:
        return Response({"count": self.count, "next": self.next, "previous": self.previous, "results": data})

    def _size(self, param: str = "page_size") -> int:
        size = query_int(self.request, param, minimum=1, default=settings.CONSTANTS.PAGE_SIZE)
        return min(size, settings.CONSTANTS.MAX_PAGE_SIZE)

    def _url(self, **params: object) -> str:
        url = self.request.build_absolute_uri()
        for name in ("page", "limit", "offset", "before", "after"):
            url = remove_query_param(url, name)
        for name, value in params.items():
            url = replace_query_param(url, name, value)
        return url

    def _cursor_page(self, queryset: QuerySet, cursor_key: Callable[[str], int]) -> list:
        size = self._size()
        before, after = self.request.query_params.get("before"), self.request.query_params.get("after")
        if after and not before:
            rows = list(queryset.filter(**{f"{self.key}__gt": cursor_key(after)}).order_by(self.key)[: size + 1])
            if not rows and self.cursor_check is not None:
                self.cursor_check(after)  # an empty page: the newest one, or an unknown cursor (404)
            newer = len(rows) > size
            rows = rows[:size][::-1]
            if rows:
                self.previous = self._url(after=rows[0].pk, page_size=size) if newer else None
                self.next = self._url(before=rows[-1].pk, page_size=size)
            return rows
        if before:
            queryset = queryset.filter(**{f"{self.key}__lt": cursor_key(before)})
        rows = list(queryset[: size + 1])
        if before and not rows and self.cursor_check is not None:
            self.cursor_check(before)  # an empty page: past the oldest message, or an unknown cursor (404)
        older = len(rows) > size
        rows = rows[:size]
        if rows:
            self.next = self._url(before=rows[-1].pk, page_size=size) if older else None
            self.previous = self._url(after=rows[0].pk, page_size=size) if before else None
        return rows

    def _numbered_page(self, queryset: QuerySet) -> list:
        size = self._size()
        try:
            number = int(self.request.query_params.get("page") or 1)
        except ValueError:
            number = 0
        pages = max(1, math.ceil(self.count / size))
        if number < 1 or number > pages:
            raise NotFound(_("Invalid page."))
        rows = list(queryset[(number - 1) * size : number * size])
        if number < pages:
            self.next = self._url(page=number + 1, page_size=size)
        if number > 1:
            self.previous = self._url(page=number - 1, page_size=size)
        return rows

    def _offset_page(self, queryset: QuerySet) -> list:
        limit = self._size("limit") if "limit" in self.request.query_params else self._size()
        offset = query_int(self.request, "offset", minimum=0, default=0)
        rows = list(queryset[offset : offset + limit]) if offset < self.count else []
        if offset + limit < self.count:
            self.next = self._url(limit=limit, offset=offset + limit)
        if offset > 0:
            self.previous = self._url(limit=limit, offset=max(0, offset - limit))
        return rows
