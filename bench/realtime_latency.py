#!/usr/bin/env python3
"""POST→publication latency through the whole realtime path of a running stack (`make run`, docker-compose):

    HTTP POST /api/messages/ → Django commits message + outbox row → NOTIFY/poll → relay → Centrifugo broadcast →
    WebSocket (through nginx) → a centrifuge-python subscriber on the recipient's personal channel.

    .venv/bin/python bench/realtime_latency.py [--url http://127.0.0.1:8080] [--messages 200] [--rate 20]
        [--members 2] [--json-out bench/results/realtime.json]

It registers throw-away users (sender + recipients), creates a chat, subscribes every recipient with tokens from
/api/centrifugo/*, then sends N messages at a fixed rate (open loop: sends are not held back by slow deliveries)
and reports, per message, the POST round trip and the time from starting the POST to the publication reaching the
*last* recipient. Prints a table and a JSON document (also written to --json-out).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from typing import Any

import centrifuge
import requests


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values_s]
    return {
        "count": len(ms),
        "min": min(ms, default=float("nan")),
        "p50": percentile(ms, 50),
        "p90": percentile(ms, 90),
        "p99": percentile(ms, 99),
        "max": max(ms, default=float("nan")),
        "mean": statistics.fmean(ms) if ms else float("nan"),
    }


class User:
    def __init__(self, base: str, tag: str, n: int) -> None:
        self.base = base
        self.http = requests.Session()
        username = f"rt{tag}{n}"[:20]
        password = f"Bench-{uuid.uuid4().hex}"
        body = {"username": username, "password": password, "first_name": "Bench", "last_name": f"User{n}"}
        response = self.http.post(f"{base}/api/register/", json=body, timeout=30)
        response.raise_for_status()
        self.id = str(response.json()["id"])
        tokens = self.http.post(
            f"{base}/api/auth/", json={"username": username, "password": password}, timeout=30
        ).json()
        self.http.headers["Authorization"] = f"Bearer {tokens['access']}"

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(f"{self.base}{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    base = args.url.rstrip("/")
    ws_url = args.ws_url or base.replace("http", "ws", 1) + "/connection/websocket"
    tag = uuid.uuid4().hex[:8]
    users = [await asyncio.to_thread(User, base, tag, n) for n in range(args.members)]
    sender, recipients = users[0], users[1:]
    chat = await asyncio.to_thread(
        sender.post, "/api/chats/", {"is_private": False, "title": "bench", "members": [u.id for u in recipients]}
    )

    received: dict[str, dict[str, float]] = {}  # message text -> recipient id -> arrival time
    all_arrived: dict[str, asyncio.Event] = {}
    loop = asyncio.get_running_loop()

    def handler_for(user: User) -> centrifuge.SubscriptionEventHandler:
        class Handler(centrifuge.SubscriptionEventHandler):
            async def on_publication(self, ctx: centrifuge.PublicationContext) -> None:
                now = time.perf_counter()
                data = ctx.pub.data
                if data.get("event") != "create":
                    return
                text = data["message"].get("text") or ""
                received.setdefault(text, {})[user.id] = now
                if len(received[text]) == len(recipients) and text in all_arrived:
                    all_arrived[text].set()

        return Handler()

    clients = []
    for user in recipients:

        async def connect_token(user: User = user) -> str:
            return (await asyncio.to_thread(user.post, "/api/centrifugo/connect/", {}))["token"]

        async def subscribe_token(channel: str, user: User = user) -> str:
            body = {"channel": channel}
            return (await asyncio.to_thread(user.post, "/api/centrifugo/subscribe/", body))["token"]

        client = centrifuge.Client(ws_url, get_token=connect_token)
        sub = client.new_subscription(user.id, events=handler_for(user), get_token=subscribe_token)
        await client.connect()
        await sub.subscribe()
        await sub.ready(timeout=30)
        clients.append(client)

    post_rtt: list[float] = []
    delivery: list[float] = []
    after_response: list[float] = []
    lost = 0

    async def send(i: int) -> None:
        nonlocal lost
        text = f"bench {tag} {i}"
        all_arrived[text] = asyncio.Event()
        if len(received.get(text, {})) == len(recipients):
            all_arrived[text].set()
        started = time.perf_counter()
        await asyncio.to_thread(sender.post, "/api/messages/", {"chat": chat["id"], "text": text})
        answered = time.perf_counter()
        post_rtt.append(answered - started)
        try:
            await asyncio.wait_for(all_arrived[text].wait(), args.timeout)
        except TimeoutError:
            lost += 1
            return
        delivery.append(max(received[text].values()) - started)
        # The realtime path's own share: from the 201 reaching the client to the publication (may be < 0).
        after_response.append(max(received[text].values()) - answered)

    tasks = []
    interval = 1.0 / args.rate
    start = loop.time()
    for i in range(args.warmup + args.messages):
        await asyncio.sleep(max(0.0, start + i * interval - loop.time()))
        task = asyncio.create_task(send(i))
        if i < args.warmup:
            await task  # warm-up messages: connections, caches; not measured
            post_rtt.clear()
            delivery.clear()
            after_response.clear()
            start = loop.time() - (i + 1) * interval
        else:
            tasks.append(task)
    await asyncio.gather(*tasks)
    for client in clients:
        await client.disconnect()

    return {
        "url": base,
        "ws_url": ws_url,
        "messages": args.messages,
        "rate_per_s": args.rate,
        "recipients": len(recipients),
        "lost": lost,
        "post_rtt_ms": summary(post_rtt),
        "post_to_publication_ms": summary(delivery),
        "response_to_publication_ms": summary(after_response),
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"\n{result['messages']} messages at {result['rate_per_s']}/s to {result['recipients']} recipient(s) "
        f"via {result['ws_url']} — lost: {result['lost']}\n"
    )
    columns = ("count", "min", "p50", "p90", "p99", "max", "mean")
    print(f"{'ms':<26}" + "".join(f"{c:>9}" for c in columns))
    rows = (
        ("post_rtt_ms", "POST round trip"),
        ("post_to_publication_ms", "POST → publication"),
        ("response_to_publication_ms", "201 → publication"),
    )
    for key, title in rows:
        row = result[key]
        print(f"{title:<26}" + "".join(f"{row[c]:>9.1f}" if c != "count" else f"{row[c]:>9}" for c in columns))
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="the stack's public origin (nginx)")
    parser.add_argument("--ws-url", help="WebSocket URL (default: <url>/connection/websocket)")
    parser.add_argument("--messages", type=int, default=200, help="measured messages")
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second")
    parser.add_argument("--members", type=int, default=2, help="chat members incl. the sender (>= 2)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured messages first")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a publication counts as lost")
    parser.add_argument("--json-out", help="also write the JSON result to this file")
    args = parser.parse_args()
    if args.members < 2:
        parser.error("--members must be at least 2")
    result = asyncio.run(run(args))
    print_table(result)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    sys.exit(1 if result["lost"] else 0)


if __name__ == "__main__":
    main()
