"""The one way application code emits realtime events (called from service functions only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from centrifugo.models import OutboxEvent

# Every write of the API runs this INSERT: written out once, since compiling it through the ORM (`create()`)
# cost more than executing it. Columns in model order, the id assigned by the database.
_FIELDS = [field for field in OutboxEvent._meta.concrete_fields if not field.primary_key]
_INSERT_SQL = (
    f"INSERT INTO {OutboxEvent._meta.db_table} ({', '.join(field.column for field in _FIELDS)}) "
    f"VALUES ({', '.join(['%s'] * len(_FIELDS))}) RETURNING id"
)


def publish(channels: Iterable[str], data: dict[str, Any]) -> OutboxEvent | None:
    """Queue one publication of `data` to every channel (one Centrifugo broadcast for all recipients).

    Must run inside the service's transaction: the event commits or rolls back with the change. The relay
    (`manage.py centrifugo_relay`) is woken by the outbox's insert trigger when the transaction commits
    (PostgreSQL NOTIFY), so there is nothing to do after commit here.
    """
    channels = sorted(set(channels))
    if not channels:
        return None
    assert transaction.get_connection().in_atomic_block, "publish() belongs inside the service's transaction"
    event = OutboxEvent(channels=channels, data=data)
    values = [field.get_db_prep_save(field.pre_save(event, add=True), connection) for field in _FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, values)
        (event.pk,) = cursor.fetchone()
    event._state.adding = False
    return event
