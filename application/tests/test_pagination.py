"""Paging links: one parse of the request's URL per response gives what DRF's query-parameter helpers give."""

from __future__ import annotations

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.utils.urls import remove_query_param, replace_query_param

from application.pagination import KeysetPagination, TimeCursor


def drf_url(url: str, **params: object) -> str:
    for name in ("page", "limit", "offset", "before", "after"):
        url = remove_query_param(url, name)
    for name, value in params.items():
        url = replace_query_param(url, name, value)
    return url


@pytest.mark.parametrize(
    "query",
    [
        "",
        "page=2&page_size=20",
        "chat=abc&before=x&page_size=5",
        "search=%D0%BF%D1%80%D0%B8+%26&z=1&a=&a=2&limit=3&offset=9",
        "after=q%3D&lang=ru",
    ],
)
def test_links_equal_drfs_helpers(query: str) -> None:
    request = Request(APIRequestFactory().get(f"/api/chats/?{query}"))
    paginator = KeysetPagination(TimeCursor("created_at"))
    paginator.request = request
    url = request.build_absolute_uri()
    for params in ({"page": 3, "page_size": 20}, {"before": "c/x+y", "page_size": 7}, {"limit": 5, "offset": 10}):
        assert paginator._url(**params) == drf_url(url, **params)
