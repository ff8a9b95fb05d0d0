#!/usr/bin/env python3
"""How many outbox events per second one relay delivers (docs/scaling.md; run by `make bench-scaling`).

The active relay is the realtime path's one serial step (one advisory lock per database), so its rate bounds the
events a deployment can publish. This fills the outbox with message-sized events and times Relay.drain(), the
relay's own loop, against a running Centrifugo (settings.CENTRIFUGO_API_URL), for events to 1 channel (a private
chat: in fact 2) and to 100 channels (a full group of the contract's production limit).

    DJANGO_SETTINGS_MODULE=application.settings .venv/bin/python bench/relay_throughput.py [--events 2000]
        [--fanouts 2,100] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

from centrifugo.models import OutboxEvent  # noqa: E402
from centrifugo.relay import Relay  # noqa: E402

PAYLOAD = {"event": "create", "message": {"id": str(uuid.uuid4()), "text": "x" * 400}}


def measure(events: int, fanout: int) -> dict[str, float]:
    OutboxEvent.objects.all().delete()
    channels = [str(uuid.uuid4()) for _ in range(fanout)]
    OutboxEvent.objects.bulk_create(OutboxEvent(channels=channels, data=PAYLOAD) for _ in range(events))
    relay = Relay()
    started = time.monotonic()
    while relay.drain():
        pass
    seconds = time.monotonic() - started
    assert relay.stats.delivered == events and not OutboxEvent.objects.exists(), relay.stats
    result = {
        "events": events,
        "channels_per_event": fanout,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds),
        "publications_per_s": round(events * fanout / seconds),
    }
    print(
        f"relay: {events} events to {fanout} channels each in {result['seconds']} s: {result['events_per_s']} events/s"
        f" ({result['publications_per_s']} channel publications/s)",
        file=sys.stderr,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--fanouts", default="2,100")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    results = [measure(args.events, int(fanout)) for fanout in args.fanouts.split(",")]
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
