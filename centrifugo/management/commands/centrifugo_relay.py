"""Deliver the realtime outbox to Centrifugo until interrupted (see centrifugo/relay.py, docs/realtime.md).

manage.py centrifugo_relay [--once] [--batch-size 100] [--poll-interval SECONDS]
"""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from centrifugo.relay import Relay, Retry


class Command(BaseCommand):
    help = "Deliver outbox events to Centrifugo (one active relay per database)"
    # A worker: it needs the models, not the URLconf the system checks would import.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="deliver what is queued now, then exit")
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument("--poll-interval", type=float, help="seconds between polls when no NOTIFY arrives")
        parser.add_argument("--api-url", help="Centrifugo HTTP API (default settings.CENTRIFUGO_API_URL)")

    def handle(self, *args: Any, **opts: Any) -> None:
        relay = Relay(api_url=opts["api_url"], batch_size=opts["batch_size"], poll_interval=opts["poll_interval"])
        if opts["once"]:
            try:
                while relay.drain():
                    pass
            except Retry as exc:
                raise CommandError(f"stopped after {relay.stats.delivered} deliveries: {exc}") from exc
            self.stdout.write(f"delivered {relay.stats.delivered}, dropped {relay.stats.dropped}")
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: relay.stop())
        relay.run()
