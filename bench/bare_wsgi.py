"""The bare reference of `make bench`: the floor's indexed query through psycopg in a WSGI app with no framework.

    gunicorn bench.bare_wsgi:application      (DATABASE_URL as for Django)
    GET /?user=<user id>  ->  {"status": "ok", "sessions": <the user's live sessions>}

The same gunicorn settings serve it as the API (sync workers), and it runs the same query as the floor's view
(`GET /api/health/db/`: the caller's live sessions, on `authsession_user_expiry_idx`), as a prepared statement on
one connection per worker. What the floor costs beyond it is the framework's and the authentication's share.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import psycopg

SESSIONS_SQL = "SELECT count(*) FROM users_authsession WHERE user_id = %s AND expires_at > now()"

_connection: psycopg.Connection | None = None


def _cursor() -> psycopg.Cursor:
    global _connection
    if _connection is None or _connection.closed:
        # One connection per worker, opened after the fork, in autocommit like Django's outside transactions.
        _connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, prepare_threshold=0)
    return _connection.cursor()


def _answer(start: Callable[..., Any], status: str, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body, separators=(",", ":")).encode()
    start(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    try:
        user = uuid.UUID(parse_qs(environ.get("QUERY_STRING", "")).get("user", [""])[0])
    except ValueError:
        return _answer(start_response, "404 Not Found", {"detail": "Not found.", "code": "not_found"})
    with _cursor() as cursor:
        cursor.execute(SESSIONS_SQL, [user])
        (sessions,) = cursor.fetchone() or (0,)
    return _answer(start_response, "200 OK", {"status": "ok", "sessions": sessions})
