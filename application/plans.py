"""Plans made for each run's own values, for the queries whose best plan depends on them.

Statements run more than DATABASE_PREPARE_THRESHOLD times on a connection are prepared (application/settings.py),
and after five runs PostgreSQL may switch a prepared statement to one generic plan for all values. For most
queries that is the point; for a text search it is a trap: how many messages a word matches decides between
walking the newest messages and reading the word's index, and the generic plan picked for one word made the
search of a common word across a busy user's chats 30x slower (1.4 s instead of 50 ms; docs/performance.md).
A statement that is not prepared is planned with its values at every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, router
from django.db.models import Model


@contextmanager
def custom_plans(model: type[Model]) -> Iterator[None]:
    """Inside, the reads of `model` (on the connection the router picks for them) are not prepared, so each is
    planned for its values: psycopg's `prepare_threshold` is None meanwhile (no round trip)."""
    connection = connections[router.db_for_read(model)]
    connection.ensure_connection()
    driver = connection.connection
    threshold = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = threshold
