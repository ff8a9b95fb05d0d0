"""nginx serves the built client at / (nginx/messenger.conf.template): files, client routes, caching, 404s, and the
security headers of the rest of the origin."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from web.tests.conftest import DIST


@pytest.fixture
def base(nginx_server: Any) -> str:
    if not (DIST / "index.html").is_file():
        pytest.fail("web/dist is not built: scripts/web-build.sh (make test runs it)")
    return nginx_server.url


@pytest.mark.parametrize("path", ["/", "/login", "/chat/0b5c6f0e-3f39-4d7e-9a55-6c1f0d7e9b21", "/feed/"])
def test_client_routes_are_the_client(base: str, path: str) -> None:
    response = requests.get(f"{base}{path}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text == (DIST / "index.html").read_text()
    assert response.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_assets_are_cached_for_good(base: str) -> None:
    script = next(DIST.glob("assets/*.js"))
    response = requests.get(f"{base}/assets/{script.name}", timeout=10)
    assert response.status_code == 200 and response.content == script.read_bytes()
    assert "javascript" in response.headers["Content-Type"]
    assert "max-age=315360000" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/assets/index-missing.js", "/missing.png", "/wp-login.php"])
def test_missing_files_are_json_404(base: str, path: str) -> None:
    response = requests.get(f"{base}{path}", timeout=10)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_the_api_and_its_docs_are_not_the_client(base: str, transactional_db: None) -> None:
    assert requests.get(f"{base}/api/schema/?format=json", timeout=10).json()["openapi"]
    unknown = requests.get(f"{base}/api/no-such-thing/", timeout=10)
    assert unknown.status_code == 404 and unknown.headers["Content-Type"].startswith("application/json")
