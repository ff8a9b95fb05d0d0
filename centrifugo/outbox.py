"""The one way events reach the outbox (called by `centrifugo.events.EventKind` only, inside services)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from django.db import connection, transaction

from application.renderers import dumps
from centrifugo.models import OutboxEvent

# Every write of the API runs this INSERT: written out once, since compiling it through the ORM (`create()`)
# cost more than executing it. The JSON is written by orjson (the REST renderer's bytes: already rendered parts
# are copied as they are), not parsed back into Python and dumped again by the JSONField.
_INSERT_SQL = (
    f"INSERT INTO {OutboxEvent._meta.db_table} (channels, data, deferred, created_at, attempts) "
    "VALUES (%s::jsonb, %s::jsonb, %s::jsonb, now(), 0) RETURNING id"
)


def publish(channels: Iterable[str], data: dict[str, Any], deferred: dict[str, Any] | None = None) -> int | None:
    """Queue one publication of `data` to every channel (one Centrifugo broadcast for all recipients); returns the
    outbox row's id. `deferred`: what the relay completes the data from (centrifugo.events.EventKind.complete).

    Must run inside the service's transaction: the event commits or rolls back with the change. The relay
    (`manage.py centrifugo_relay`) is woken by the outbox's insert trigger when the transaction commits
    (PostgreSQL NOTIFY), so there is nothing to do after commit here.
    """
    channels = sorted(set(channels))
    if not channels:
        return None
    assert transaction.get_connection().in_atomic_block, "publish() belongs inside the service's transaction"
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_SQL,
            [
                orjson.dumps(channels).decode(),
                dumps(data).decode(),
                None if deferred is None else orjson.dumps(deferred).decode(),
            ],
        )
        (pk,) = cursor.fetchone()
    return int(pk)
