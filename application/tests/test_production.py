"""Production mode locked down: `check --deploy` clean, throttles on the credential endpoints (per client address and
per account) answering 429 with Retry-After in the error shape, and throttling that a dead cache cannot turn into
errors. Throttling across processes on a real Redis: centrifugo/tests/test_edge.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from users.models import User
from users.services import session_start

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "PRODUCTION": "on",
    "DJANGO_SECRET_KEY": "s3cr3t-" * 10,
    "CENTRIFUGO_API_KEY": "k" * 40,
    "CENTRIFUGO_TOKEN_HMAC_SECRET_KEY": "h" * 40,
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CENTRIFUGO_", "PRODUCTION", "CACHE_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "application.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_cache_of_its_own_per_process() -> None:
    result = manage("check", **{**PRODUCTION, "CACHE_URL": "locmemcache://"})
    assert result.returncode != 0
    assert "CACHE_URL" in result.stderr


def test_production_turns_debug_and_the_browsable_api_off() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.THROTTLE, settings.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "application.settings", **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 2)[:2] == ["False", "True"]
    assert "BrowsableAPIRenderer" not in result.stdout


# --- throttles ------------------------------------------------------------------------------------------------


@pytest.fixture
def throttled(settings: Any) -> Iterator[None]:
    settings.THROTTLE = True
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "auth_ip": "5/minute", "auth_account": "3/minute"}
    cache.clear()
    yield
    cache.clear()


def login(client: APIClient, username: str, ip: str = "203.0.113.1") -> Any:
    return client.post("/api/auth/", {"username": username, "password": "wrong"}, format="json", REMOTE_ADDR=ip)


def assert_throttled(response: Any) -> None:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["code"] == "throttled" and body["detail"]
    assert 0 < int(response["Retry-After"]) <= 60


@pytest.mark.django_db
def test_one_account_from_many_addresses(throttled: None, anon_client: APIClient, user: User) -> None:
    for n in range(3):
        assert login(anon_client, user.username, ip=f"198.51.100.{n}").status_code == 401
    assert_throttled(login(anon_client, user.username.upper(), ip="198.51.100.99"))
    # Another account is not affected.
    assert login(anon_client, "someone-else", ip="198.51.100.99").status_code == 401


@pytest.mark.django_db
def test_many_accounts_from_one_address(throttled: None, anon_client: APIClient) -> None:
    for n in range(5):
        assert login(anon_client, f"guess{n}").status_code == 401
    assert_throttled(login(anon_client, "guess-next"))
    assert_throttled(anon_client.post("/api/register/", {"username": "new"}, REMOTE_ADDR="203.0.113.1"))
    assert login(anon_client, "guess-next", ip="203.0.113.2").status_code == 401  # another address is not


@pytest.mark.django_db
def test_the_address_is_the_one_nginx_saw(throttled: None, anon_client: APIClient) -> None:
    # nginx appends the client's address to X-Forwarded-For; what the client wrote before it is not trusted.
    for n in range(5):
        forwarded = f"10.0.0.{n}, 192.0.2.7"
        response = anon_client.post(
            "/api/auth/",
            {"username": f"u{n}", "password": "x"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )
        assert response.status_code == 401
    assert_throttled(
        anon_client.post("/api/auth/", {"username": "u9", "password": "x"}, HTTP_X_FORWARDED_FOR="10.9.9.9, 192.0.2.7")
    )


@pytest.mark.django_db
def test_refresh_is_throttled_per_account_of_a_genuine_token(
    throttled: None, anon_client: APIClient, user: User
) -> None:
    for n in range(3):
        refresh = session_start(user).refresh
        response = anon_client.post("/api/auth/refresh/", {"refresh": refresh}, REMOTE_ADDR=f"198.51.100.{n}")
        assert response.status_code == 200
    refresh = session_start(user).refresh
    assert_throttled(anon_client.post("/api/auth/refresh/", {"refresh": refresh}, REMOTE_ADDR="198.51.100.50"))
    # A forged token names no account (it cannot use up someone's allowance): only the address counts.
    forged = anon_client.post("/api/auth/refresh/", {"refresh": refresh[:-4] + "AAAA"}, REMOTE_ADDR="198.51.100.51")
    assert forged.status_code == 401


@pytest.mark.django_db
def test_oauth_endpoints_are_throttled(throttled: None, anon_client: APIClient) -> None:
    for _ in range(5):
        anon_client.get("/api/auth/yandex/", REMOTE_ADDR="203.0.113.9")
    assert_throttled(anon_client.post("/api/auth/yandex/login/", {"oauth_token": "x"}, REMOTE_ADDR="203.0.113.9"))


@pytest.mark.django_db
def test_a_dead_cache_lets_requests_through(
    throttled: None, anon_client: APIClient, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    for _ in range(10):
        assert login(anon_client, user.username).status_code == 401


@pytest.mark.django_db
def test_throttling_is_off_outside_production(anon_client: APIClient, user: User) -> None:
    cache.clear()
    for _ in range(40):
        assert login(anon_client, user.username).status_code == 401
