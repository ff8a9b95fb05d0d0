"""nginx/allow.map: the `Allow` of nginx's own 405 is the one Django gives for the route, and the file is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from application import allow_map

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = "0b6f3c1e-8a7d-4c2b-9e5f-1a2b3c4d5e6f"


@pytest.fixture(scope="module")
def routes() -> list[tuple[str, str]]:
    return allow_map.routes()


def test_the_committed_map_is_what_the_routes_give() -> None:
    committed = (ROOT / "nginx" / "allow.map").read_text(encoding="utf-8")
    assert committed == allow_map.render(), "run `make schema` (it writes nginx/allow.map) and commit the file"


@pytest.mark.django_db
def test_each_route_allows_what_django_answers_for_it(routes: list[tuple[str, str]], client: Client) -> None:
    for path, (_, allow) in zip(allow_map.paths(), routes, strict=True):
        url = re.sub(r"\{[^}]+\}", SAMPLE, path)
        assert client.options(url)["Allow"] == allow, url


def test_every_route_is_matched_by_its_own_line_first(routes: list[tuple[str, str]]) -> None:
    """nginx takes the first regex that matches: a literal segment (`current`) must not fall to a parameter's line,
    with or without the trailing slash, with a query or without."""
    for path in allow_map.paths():
        own = allow_map.pattern(path)
        url = re.sub(r"\{[^}]+\}", SAMPLE, path)
        for uri in (url, url.rstrip("/"), url + "?page=2"):
            first = next(p for p, _ in routes if re.search(p, uri))
            assert first == own, (uri, first)
        assert not re.search(own, url + "extra/"), "a longer path is another route"
