"""The contract's pagination: `?page=&page_size=` → `{count, next, previous, results}`; keyset cursors for history."""

from __future__ import annotations

import base64
import binascii
import datetime
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast
from urllib import parse

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from application.query import query_int
from application.schema import PAGE_PARAMETERS

R = TypeVar("R")


class PageNumberPagination(pagination.PageNumberPagination):
    """Default page size 10, at most 100; an out-of-range page is 404 `{"detail": "Invalid page."}`. The limits are
    read at request time (tests override the constants)."""

    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int:
        size = query_int(request, "page_size", minimum=1, default=settings.CONSTANTS.PAGE_SIZE)
        return min(size, settings.CONSTANTS.MAX_PAGE_SIZE)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": p.name, "in": "query", "required": False, "description": p.description, "schema": p.type}
            for p in PAGE_PARAMETERS
        ]


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`?limit=&offset=` (some clients of the contract page this way), with the same limits as pages."""

    def get_limit(self, request: Request) -> int:
        limit = query_int(request, "limit", minimum=1, default=settings.CONSTANTS.PAGE_SIZE)
        return min(limit, settings.CONSTANTS.MAX_PAGE_SIZE)

    def get_offset(self, request: Request) -> int:
        return query_int(request, "offset", minimum=0, default=0)


def page_or_offset_paginator(request: Request) -> pagination.BasePagination:
    """Page numbers by default, limit/offset when the request uses them."""
    params = request.query_params
    paging_check(request, cursors=False)
    return LimitOffsetPagination() if "limit" in params or "offset" in params else PageNumberPagination()


def paging_check(request: Request, *, cursors: bool) -> None:
    """One way of paging per request (400 otherwise: a mix would leave part of it silently unused), and a
    `page_size` that is a valid one even where the mode does not read it."""
    params = request.query_params
    modes = [("page",), ("limit", "offset"), *([("before", "after")] if cursors else [])]
    used = [next(name for name in mode if name in params) for mode in modes if any(name in params for name in mode)]
    if len(used) > 1:
        raise ValidationError(
            {
                used[1]: [
                    _("Page in one way: `%(first)s` and `%(second)s` do not go together.")
                    % {"first": used[0], "second": used[1]}
                ]
            }
        )
    if "page_size" in params:
        query_int(request, "page_size", minimum=1, default=settings.CONSTANTS.PAGE_SIZE)


class Cursor(Protocol):
    """A list's cursors: what points at a row, and what an empty cursor page means."""

    def encode(self, row: Any) -> str:
        """The cursor that points at a row of a page."""
        ...

    def check(self, raw: str) -> None:
        """Called when a cursor page comes back empty: raise NotFound if the cursor points at nothing."""
        ...


class KeyCursor(Cursor, Protocol):
    """Cursors of a queryset: how they map to its ordering keys (newest first, descending on every key)."""

    keys: tuple[str, ...]

    def decode(self, raw: str) -> tuple[Any, ...]:
        """The keys' values for a cursor (values, or expressions evaluated inside the page's query); a malformed
        cursor raises NotFound."""
        ...


class TimeCursor:
    """Cursors of a list ordered by a timestamp and the id: opaque base64 of both (e.g. the posts feed)."""

    def __init__(self, field: str) -> None:
        self.keys = (field, "id")

    def decode(self, raw: str) -> tuple[Any, ...]:
        try:
            text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
            moment, pk = text.split("|")
            at = datetime.datetime.fromisoformat(moment)
            if at.tzinfo is None:
                raise ValueError("naive cursor")
            return at, uuid.UUID(hex=pk)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise NotFound(_("Invalid cursor.")) from exc

    def encode(self, row: Any) -> str:
        raw = f"{getattr(row, self.keys[0]).isoformat()}|{row.id.hex}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def check(self, raw: str) -> None:
        """A well-formed time cursor needs no row: it is a position in the order."""


@dataclass(slots=True)
class Page(Generic[R]):
    """Rows of a list, and how many the list holds (`count`): one query can answer both."""

    rows: list[R]
    count: int


class Keyset(Protocol[R]):
    """Where a keyset-paginated list's rows come from, newest first, each page with the list's count.
    `QuerySetKeyset` pages a queryset with the ORM; a hot list pages with SQL written once instead
    (messages.selectors.MessagePages), or counts inside the page's own query (messages.selectors.SearchPages)."""

    def newest(self, limit: int, before: str | None) -> Page[R]:
        """Up to `limit` rows, newest first: the newest ones, or those strictly older than the cursor `before`."""
        ...

    def oldest_after(self, limit: int, after: str) -> Page[R]:
        """Up to `limit` rows strictly newer than the cursor `after`, oldest first."""
        ...

    def window(self, offset: int, limit: int) -> Page[R]:
        """Up to `limit` rows, newest first, after skipping `offset`; none when `offset` is at or past the count
        (offsets come from requests: a keyset answers those without reading that far)."""
        ...


class NoRows(Generic[R]):
    """A list that holds nothing (a search for no word at all): every page is empty, in every paging mode, and a
    malformed cursor is a 404 as in any list."""

    def __init__(self, cursor: KeyCursor) -> None:
        self.cursor = cursor

    def newest(self, limit: int, before: str | None) -> Page[R]:
        if before:
            self.cursor.decode(before)
        return Page([], 0)

    def oldest_after(self, limit: int, after: str) -> Page[R]:
        self.cursor.decode(after)
        return Page([], 0)

    def window(self, offset: int, limit: int) -> Page[R]:
        return Page([], 0)


class QuerySetKeyset(Generic[R]):
    """A queryset paged by a cursor's keys: `WHERE key < x ORDER BY key DESC LIMIT n` walks the index; `rows`
    turns each page's queryset into the rows the response renders (one query), `count` counts the list."""

    def __init__(
        self, queryset: QuerySet, cursor: KeyCursor, rows: Callable[[QuerySet], list[R]], count: Callable[[], int]
    ) -> None:
        self.queryset, self.cursor, self.rows, self.count = queryset, cursor, rows, count

    def _beyond(self, raw: str, direction: str) -> Q:
        """Items strictly older (`lt`) or newer (`gt`) than the cursor, in the keys' order. With several keys the
        first one is also bounded on its own (`k1 <= x1 AND (k1 < x1 OR ...)`), so the index scan starts at the
        cursor instead of filtering its way there."""
        keys, values = self.cursor.keys, self.cursor.decode(raw)
        beyond = Q()
        for i, key in enumerate(keys):
            beyond |= Q(**dict(zip(keys[:i], values[:i], strict=True)), **{f"{key}__{direction}": values[i]})
        if len(keys) > 1:
            beyond &= Q(**{f"{keys[0]}__{direction}e": values[0]})
        return beyond

    def _descending(self) -> QuerySet:
        return self.queryset.order_by(*(f"-{key}" for key in self.cursor.keys))

    def newest(self, limit: int, before: str | None) -> Page[R]:
        ordered = self._descending()
        if before:
            ordered = ordered.filter(self._beyond(before, "lt"))
        return Page(self.rows(ordered[:limit]), self.count())

    def oldest_after(self, limit: int, after: str) -> Page[R]:
        rows = self.rows(self.queryset.filter(self._beyond(after, "gt")).order_by(*self.cursor.keys)[:limit])
        return Page(rows, self.count())

    def window(self, offset: int, limit: int) -> Page[R]:
        count = self.count()
        return Page(self.rows(self._descending()[offset : offset + limit]) if offset < count else [], count)


class KeysetPagination:
    """The one pagination of histories (messages, the posts feed): `{count, next, previous, results}` in three modes.

    - `before=<cursor>` / `after=<cursor>` (with `page_size`): keyset cursors — `WHERE key < x ORDER BY key DESC
      LIMIT n` walks the index, so page 100,000 costs what page 1 does, and items arriving meanwhile cause neither
      gaps nor duplicates. `next` is `before=<last>` (older), `previous` is `after=<first>` (newer); a link is null
      when nothing lies that way (the side a cursor came from always has its cursor's item). Without any paging
      parameter the newest page is served in this mode (unless `numbered_by_default`), so following `next` is
      safe. `before` and `after` together are a 400.
    - `page` (with `page_size`): the contract's page numbers; an out-of-range page is 404 "Invalid page.".
    - `limit`/`offset`.

    The rows and the count come from a `Keyset` (each page with the count: from a counter, or from the page's own
    query), or from a queryset, `rows` (which turns a page's queryset into the rows the response renders) and
    `count`.
    """

    def __init__(self, cursor: Cursor | KeyCursor, *, numbered_by_default: bool = False) -> None:
        self.cursor = cursor
        # Without paging parameters: the newest page with cursor links, or page 1 with page-number links.
        self.numbered_by_default = numbered_by_default
        self.count = 0
        self.next: str | None = None
        self.previous: str | None = None
        self._link_base: tuple[str, str, str, str, dict[str, list[str]]] | None = None

    def paginate(
        self,
        source: QuerySet | Keyset[R],
        request: Request,
        *,
        count: Callable[[], int] | None = None,
        rows: Callable[[QuerySet], list[R]] | None = None,
    ) -> list[R]:
        self.request = request
        params = request.query_params
        before, after = params.get("before"), params.get("after")
        if before and after:
            raise ValidationError({"before": [_("Use either `before` or `after`, not both.")]})
        paging_check(request, cursors=True)
        keyset: Keyset[R]
        if isinstance(source, QuerySet):
            assert rows is not None and count is not None, "a queryset is paged with `rows` and `count`"
            keyset = QuerySetKeyset(source, cast(KeyCursor, self.cursor), rows, count)
        else:
            keyset = source
        if before or after:
            return self._cursor_page(keyset, before, after)
        if "limit" in params or "offset" in params:
            return self._offset_page(keyset)
        if "page" in params or self.numbered_by_default:
            return self._numbered_page(keyset)
        return self._cursor_page(keyset, None, None)

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response({"count": self.count, "next": self.next, "previous": self.previous, "results": data})

    def _size(self, param: str = "page_size") -> int:
        size = query_int(self.request, param, minimum=1, default=settings.CONSTANTS.PAGE_SIZE)
        return min(size, settings.CONSTANTS.MAX_PAGE_SIZE)

    def _url(self, **params: object) -> str:
        """This request's URL with the paging parameters replaced by `params`: what DRF's remove_query_param and
        replace_query_param give (the query's parameters sorted by name), with the URL parsed once per request."""
        if self._link_base is None:
            parts = parse.urlsplit(self.request.build_absolute_uri())
            kept = parse.parse_qs(parts.query, keep_blank_values=True)
            for name in ("page", "limit", "offset", "before", "after"):
                kept.pop(name, None)
            self._link_base = (parts.scheme, parts.netloc, parts.path, parts.fragment, kept)
        scheme, netloc, path, fragment, kept = self._link_base
        merged = {**kept, **{name: [str(value)] for name, value in params.items()}}
        return parse.urlunsplit((scheme, netloc, path, parse.urlencode(sorted(merged.items()), doseq=True), fragment))

    def _cursor_page(self, keyset: Keyset[R], before: str | None, after: str | None) -> list[R]:
        size = self._size()
        if after:
            found = keyset.oldest_after(size + 1, after)
            self.count, newer = found.count, found.rows
            if not newer:
                self.cursor.check(after)  # the newest page, or an unknown cursor (404)
            more_newer = len(newer) > size
            page = newer[:size][::-1]
            if page:
                self.previous = self._link("after", page[0], size) if more_newer else None
                self.next = self._link("before", page[-1], size)
            return page
        found = keyset.newest(size + 1, before)
        self.count, older = found.count, found.rows
        if before and not older:
            self.cursor.check(before)  # past the oldest item, or an unknown cursor (404)
        page = older[:size]
        if page:
            self.next = self._link("before", page[-1], size) if len(older) > size else None
            self.previous = self._link("after", page[0], size) if before else None
        return page

    def _link(self, direction: str, row: Any, size: int) -> str:
        return self._url(**{direction: self.cursor.encode(row)}, page_size=size)

    def _numbered_page(self, keyset: Keyset[R]) -> list[R]:
        size = self._size()
        raw = self.request.query_params.get("page") or "1"
        # As DRF's page numbers (the chat list): anything but a page that exists is 404 "Invalid page.".
        number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0
        if number < 1:
            raise NotFound(_("Invalid page."))
        found = keyset.window((number - 1) * size, size)
        self.count = found.count
        pages = max(1, math.ceil(self.count / size))
        if number > pages:
            raise NotFound(_("Invalid page."))
        if number < pages:
            self.next = self._url(page=number + 1, page_size=size)
        if number > 1:
            self.previous = self._url(page=number - 1, page_size=size)
        return found.rows

    def _offset_page(self, keyset: Keyset[R]) -> list[R]:
        limit = self._size("limit") if "limit" in self.request.query_params else self._size()
        offset = query_int(self.request, "offset", minimum=0, default=0)
        found = keyset.window(offset, limit)
        self.count = found.count
        if offset + limit < self.count:
            self.next = self._url(limit=limit, offset=offset + limit)
        if offset > 0:
            self.previous = self._url(limit=limit, offset=max(0, offset - limit))
        return found.rows
