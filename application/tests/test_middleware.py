from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLResolver
from rest_framework.test import APIClient


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/nowhere/", "/api/nowhere", "/api/user/not-a-uuid/"])
def test_unknown_routes_are_json_404_even_in_debug(anon_client: APIClient, settings, debug: bool, path: str) -> None:
    settings.DEBUG = debug
    response = anon_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_a_path_with_its_slash_is_resolved_once(api: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    resolve = URLResolver.resolve

    def counting(self: URLResolver, path: Any) -> Any:
        if self.pattern.regex.pattern in ("^/", "^/$"):  # the root resolver, entered once per lookup
            calls.append(str(path))
        return resolve(self, path)

    monkeypatch.setattr(URLResolver, "resolve", counting)
    assert api.get("/api/health/db/").status_code == 200
    assert calls == ["/api/health/db/"]
    calls.clear()
    assert api.get("/api/health/db").status_code == 200  # rewritten: looked up without and with the slash
    assert calls == ["/api/health/db", "/api/health/db/", "/api/health/db/"]
