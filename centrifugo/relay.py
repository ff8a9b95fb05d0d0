"""Delivery of outbox rows to Centrifugo (see centrifugo.models.OutboxEvent)."""

from __future__ import annotations


def notify() -> None:
    """Tell a waiting relay that new rows committed. The relay also polls, so this only cuts latency."""
