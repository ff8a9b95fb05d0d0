from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP_AND_PRINT_DEBUG = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def _django_setup(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CENTRIFUGO_", "PRODUCTION", "CACHE_"))
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "application.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_default_secrets() -> None:
    result = _django_setup({"PRODUCTION": "on"})
    assert result.returncode != 0
    assert "refuses default secrets" in result.stderr


def test_production_starts_with_real_secrets_and_debug_off() -> None:
    result = _django_setup(
        {
            "PRODUCTION": "on",
            "DJANGO_SECRET_KEY": "x" * 50,
            "CENTRIFUGO_API_KEY": "k" * 32,
            "CENTRIFUGO_TOKEN_HMAC_SECRET_KEY": "h" * 32,
            "CACHE_URL": "redis://127.0.0.1:6379/1",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_constants_are_the_contract_limits() -> None:
    from application.constants import ProductionConstants

    limits = ProductionConstants()
    assert (limits.USERNAME_MAX_LENGTH, limits.BIO_MAX_LENGTH, limits.MESSAGE_TEXT_MAX_LENGTH) == (20, 100, 500)
    assert (limits.MESSAGE_MAX_FILES, limits.CHAT_TITLE_MAX_LENGTH, limits.GROUP_MAX_MEMBERS) == (5, 20, 100)
    assert (limits.PAGE_SIZE, limits.MAX_PAGE_SIZE, limits.MAX_BODY_SIZE) == (10, 100, 10 * 1024 * 1024)


@pytest.mark.django_db
def test_cors_preflight_is_answered_for_other_origins(anon_client) -> None:
    response = anon_client.options(
        "/api/auth/",
        HTTP_ORIGIN="https://someone.github.io",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://someone.github.io"


@pytest.mark.django_db
def test_early_errors_carry_cors_headers(anon_client) -> None:
    # A cross-origin SPA must be able to read a 413 or a 404 that the guards answer before any view runs.
    origin = {"HTTP_ORIGIN": "https://someone.github.io"}
    too_large = anon_client.generic("POST", "/api/register/", b"", CONTENT_LENGTH=str(11 * 1024 * 1024), **origin)
    unknown = anon_client.get("/api/no-such-endpoint/", **origin)
    for response in (too_large, unknown):
        assert response["Access-Control-Allow-Origin"] == "https://someone.github.io"
    assert (too_large.status_code, unknown.status_code) == (413, 404)


@pytest.mark.django_db
def test_postgresql_binds_parameters_on_the_server_and_prepares_repeated_statements() -> None:
    from django.db import connection

    connection.ensure_connection()
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    assert connection.connection.prepare_threshold == 5
    with connection.cursor() as cursor:
        for _ in range(7):
            cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["SELECT $1::int + 1%"])
        assert cursor.fetchone() == (1,)


def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "o = settings.DATABASES['default']['OPTIONS']; print(o['server_side_binding'], o['prepare_threshold'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_PREPARE"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "application.settings", "DATABASE_PREPARE_THRESHOLD": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "None"]
