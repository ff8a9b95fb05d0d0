"""Reads from a PostgreSQL streaming replica (`DATABASE_REPLICA_URL`; docs/scaling.md).

The database of a read is chosen per request, here, never in selectors or services:

- Only the reads of a safe request (GET, HEAD, OPTIONS) of an authenticated user may go to the replica, and only
  after authentication: authentication itself reads the primary, so a session created, rotated or revoked a moment
  ago counts at once. Everything else — writes, unsafe requests, management commands, the relay — uses the primary.
- Reads inside a transaction (`transaction.atomic`: every write service) stay on the primary.
- Read-your-writes: when an unsafe request of an authenticated user succeeds, the primary's WAL insert position
  is kept for that user in the shared cache for `DATABASE_REPLICA_PIN_SECONDS`. While it is there, that user's
  reads go to the replica only once the replica has replayed past it (`pg_last_wal_replay_lsn()`), else to the
  primary. Other users may read the replica's slightly older state meanwhile.
- A replica that cannot be reached is skipped (primary) for `REPLICA_RETRY_SECONDS`.
- Realtime events wait for the replica: the relay publishes a batch once the replica has replayed it
  (`wait_until_replayed`, at most `REPLICA_EVENT_WAIT` seconds), so a client that refetches on an event (the SPAs
  re-read the chat) reads the replica's copy of the change.

The choice is made once per request, at its first read after authentication. Django-only imports:
users.authentication imports this module while DRF's settings are being loaded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REPLICA_RETRY_SECONDS = 5.0
# How long the relay holds events back for a lagging replica before it publishes them anyway.
REPLICA_EVENT_WAIT = 1.0
REPLAY_POLL = 0.002


@dataclass
class RequestReads:
    """What the router knows about the current request."""

    safe: bool
    user_id: str | None = None  # set once authentication has found the user
    database: str | None = None  # the reads' database, chosen at the first read after authentication


_request: ContextVar[RequestReads | None] = ContextVar("replica_request", default=None)
_replica_down_until = 0.0  # per process: when the replica may be tried again after a failure


def enabled() -> bool:
    return REPLICA in settings.DATABASES


def authenticated(user_id: Any) -> None:
    """Authentication found the request's user: from now on its reads may go to the replica."""
    state = _request.get()
    if state is not None:
        state.user_id = str(user_id)


def pin_key(user_id: str) -> str:
    return f"replica-pin:{user_id}"


class ReplicaMiddleware:
    """Holds the request's routing state for the router, and pins a writer's reads to the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = RequestReads(safe=request.method in SAFE_METHODS)
        token = _request.set(state)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        if not state.safe and state.user_id is not None and response.status_code < 400:
            pin(state.user_id)
        return response


def pin(user_id: str) -> None:
    """Keep `user_id`'s reads on the primary until the replica has replayed what the primary holds now."""
    try:
        with connections[PRIMARY].cursor() as cursor:
            # The insert position, not pg_current_wal_lsn() (the write position): with asynchronous commit the
            # user's commit record may not be written out yet, and the replica must replay past that record.
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            lsn = cursor.fetchone()[0]
        cache.set(pin_key(user_id), lsn, timeout=settings.DATABASE_REPLICA_PIN_SECONDS)
    except Exception:  # the write succeeded; a missing pin only risks a stale read for a moment
        logger.warning("could not pin the reads of user %s to the primary", user_id, exc_info=True)


def choose(user_id: str) -> str:
    """The database for the reads of a safe request of `user_id`."""
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return PRIMARY
    try:
        lsn = cache.get(pin_key(user_id))
    except Exception:  # the cache (Redis) is down: the primary is always right
        logger.warning("the replica pin cache is unreachable; reading the primary", exc_info=True)
        return PRIMARY
    try:
        replica = connections[REPLICA]
        if lsn is None:
            replica.ensure_connection()
            return REPLICA
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            caught_up = cursor.fetchone()[0]  # NULL (not a replica) counts as behind
    except DatabaseError:
        logger.warning("the replica is unreachable; reading the primary for %ss", REPLICA_RETRY_SECONDS, exc_info=True)
        _replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS
        return PRIMARY
    return REPLICA if caught_up else PRIMARY


def wait_for_replay() -> None:
    """The relay, before it publishes a batch: when there is a replica, wait until it holds the batch's changes."""
    if enabled():
        wait_until_replayed(connections[PRIMARY], connections[REPLICA])


def wait_until_replayed(primary: Any, replica: Any, timeout: float = REPLICA_EVENT_WAIT) -> bool:
    """Wait until `replica` has replayed everything committed on `primary` so far; False after `timeout` seconds
    or when the replica cannot be asked. Both are connections (Django's or psycopg's)."""
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return False
    try:
        with primary.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            lsn = cursor.fetchone()[0]
        deadline = time.monotonic() + timeout
        with replica.cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
                if cursor.fetchone()[0]:
                    return True
                if time.monotonic() >= deadline:
                    logger.warning("the replica has not replayed %s after %ss; publishing anyway", lsn, timeout)
                    return False
                time.sleep(REPLAY_POLL)
    except DatabaseError:
        logger.warning("the replica is unreachable; not waiting for it", exc_info=True)
        _replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS
        return False


class ReplicaRouter:
    """DATABASE_ROUTERS entry, on when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        state = _request.get()
        if state is None or not state.safe or state.user_id is None or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        if state.database is None:
            state.database = choose(state.user_id)
        return state.database

    def db_for_write(self, model: type, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY  # the replica replays the primary's schema
