"""GET /api/health/db/: the benchmarks' floor, and an authenticated health check."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext


def test_health_db_answers_ok_with_one_query_after_auth(api) -> None:
    api.get("/api/health/db/")  # the first request may write presence
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/health/db/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "sessions": 1}
    # authentication (user joined to its session) + the one indexed query
    assert len(queries) == 2


def test_health_db_needs_a_token(anon_client) -> None:
    response = anon_client.get("/api/health/db/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_health_db_without_trailing_slash(api) -> None:
    assert api.get("/api/health/db").status_code == 200


def test_health_db_reports_an_unavailable_database(api, monkeypatch) -> None:
    from users import health

    def broken(*args, **kwargs):
        raise DatabaseError("gone")

    api.get("/api/health/db/")
    monkeypatch.setattr(health.AuthSession.objects, "filter", broken)
    response = api.get("/api/health/db/")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
