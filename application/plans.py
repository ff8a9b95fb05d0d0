"""Plans made for each run's own values, for the queries whose best plan depends on them.

Statements run more than DATABASE_PREPARE_THRESHOLD times on a connection are prepared (application/settings.py),
and after five runs PostgreSQL may switch a prepared statement to one generic plan for all values. For most
queries that is the point; for a text search it is a trap: how many messages a word matches decides between
walking the newest messages and reading the word's index, and the generic plan picked for one word made the
search of a common word across a busy user's chats 30x slower (1.4 s instead of 50 ms; docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connections, router
from django.db.models import Model


@contextmanager
def custom_plans(model: type[Model]) -> Iterator[None]:
    """Inside, the reads of `model` (on the connection the router picks for them) are planned for their values."""
    connection = connections[router.db_for_read(model)]
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET plan_cache_mode")
        except DatabaseError:
            # A connection that cannot take the RESET is not reused with the setting left on.
            connection.close()
