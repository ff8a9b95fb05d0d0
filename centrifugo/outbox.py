"""The one way application code emits realtime events (called from service functions only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from centrifugo.models import OutboxEvent


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
    return OutboxEvent.objects.create(channels=channels, data=data)
