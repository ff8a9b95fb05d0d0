"""The contract's pagination: `?page=&page_size=` → `{count, next, previous, results}`."""

from __future__ import annotations

from django.conf import settings
from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Default page size 10, at most 100; an out-of-range page is 404 `{"detail": "Invalid page."}`."""

    page_size_query_param = "page_size"

    @property
    def page_size(self) -> int:  # read at request time so tests can override the constants
        return settings.CONSTANTS.PAGE_SIZE

    @property
    def max_page_size(self) -> int:
        return settings.CONSTANTS.MAX_PAGE_SIZE
