from __future__ import annotations

from django.db import models


class OutboxEvent(models.Model):
    """A realtime publication waiting to be delivered to Centrifugo.

    Written in the same transaction as the change it describes, so an event exists if and only if the change
    committed; the relay (`manage.py centrifugo_relay`) broadcasts rows in id order and deletes them once
    Centrifugo has accepted them. The row id doubles as the idempotency key, so a retry after a crash cannot
    publish twice within Centrifugo's idempotency window.
    """

    id = models.BigAutoField(primary_key=True)
    channels = models.JSONField()
    data = models.JSONField()
    # For a kind with a `complete` step (centrifugo.events.EventKind): the few values the relay completes `data`
    # from just before delivery, so that a large payload (read_all's ids) is not built inside the request.
    deferred = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"outbox #{self.id} → {len(self.channels)} channel(s)"
