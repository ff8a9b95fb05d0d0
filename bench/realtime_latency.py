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

The sends come from a separate process (a few threads on keep-alive HTTP connections), so the client's own work
neither holds the subscribers' event loop back nor is counted as delivery time; both processes read the same
system-wide monotonic clock.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import itertools
import json
import multiprocessing
import queue
import statistics
import sys
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

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


def message_text(tag: str, index: int) -> str:
    return f"bench {tag} {index}"


def send_messages(job: dict[str, Any], results: Any) -> None:
    """The sender process: POST every message on keep-alive connections, at the fixed rate (open loop: a slow
    answer does not delay the next send while a connection is free), and report each one's timing."""
    try:
        url = urlsplit(job["url"])
        path = (url.path.rstrip("/") or "") + "/api/messages/"
        headers = {"Authorization": job["token"], "Content-Type": "application/json"}
        pending: queue.Queue = queue.Queue()

        def worker() -> None:
            connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
            while (index := pending.get()) is not None:
                try:
                    body = json.dumps({"chat": job["chat"], "text": message_text(job["tag"], index)})
                    started = time.monotonic()
                    connection.request("POST", path, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    answered = time.monotonic()
                    if response.status == 201:
                        results.put((index, started, answered))
                    else:
                        results.put(f"POST /api/messages/ answered {response.status}")
                except Exception as exc:  # reported to the parent, which fails loudly
                    results.put(f"{type(exc).__name__}: {exc}")
                    connection.close()
                finally:
                    pending.task_done()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(job["connections"])]
        for thread in threads:
            thread.start()
        for index in range(job["warmup"]):  # connections, caches: one at a time, not measured
            pending.put(index)
            pending.join()
        time.sleep(0.5)
        interval = 1.0 / job["rate"]
        start = time.monotonic()
        for n in range(job["messages"]):
            time.sleep(max(0.0, start + n * interval - time.monotonic()))
            pending.put(job["warmup"] + n)
        pending.join()
        for _ in threads:
            pending.put(None)
    except Exception as exc:  # reported to the parent, which fails loudly
        results.put(f"{type(exc).__name__}: {exc}")
    results.put(None)


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
    arrival_order: dict[str, list[str]] = {}  # recipient id -> message texts as they arrived
    duplicates = 0

    def handler_for(user: User) -> centrifuge.SubscriptionEventHandler:
        class Handler(centrifuge.SubscriptionEventHandler):
            async def on_publication(self, ctx: centrifuge.PublicationContext) -> None:
                now = time.monotonic()
                data = ctx.pub.data
                if data.get("event") != "create":
                    return
                nonlocal duplicates
                text = data["message"].get("text") or ""
                if user.id in received.get(text, {}):
                    duplicates += 1
                    return
                received.setdefault(text, {})[user.id] = now
                arrival_order.setdefault(user.id, []).append(text)

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

    # The sender process sends warm-up messages one by one, then the measured ones at the fixed rate; it reports
    # (index, started, answered) per message on the system-wide monotonic clock the handlers also read.
    results: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
    job = {
        "url": base,
        "token": sender.http.headers["Authorization"],
        "chat": chat["id"],
        "tag": tag,
        "rate": args.rate,
        "messages": args.messages,
        "warmup": args.warmup,
        "connections": args.connections,
    }
    process = multiprocessing.get_context("spawn").Process(target=send_messages, args=(job, results), daemon=True)
    process.start()
    sent: dict[int, tuple[float, float]] = {}
    while process.is_alive() or not results.empty():
        try:
            item = await asyncio.to_thread(results.get, True, 0.5)
        except queue.Empty:
            continue
        if item is None:
            break
        if isinstance(item, str):
            raise RuntimeError(f"the sender failed: {item}")
        index, started, answered = item
        sent[index] = (started, answered)
    process.join(timeout=10)

    post_rtt: list[float] = []
    delivery: list[float] = []
    after_response: list[float] = []
    lost = 0
    deadline = time.monotonic() + args.timeout
    measured = [i for i in sent if i >= args.warmup]
    for i in measured:
        text = message_text(tag, i)
        while len(received.get(text, {})) < len(recipients) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    for i in sorted(measured):
        started, answered = sent[i]
        post_rtt.append(answered - started)
        arrivals = received.get(message_text(tag, i), {})
        if len(arrivals) < len(recipients):
            lost += 1
            continue
        delivery.append(max(arrivals.values()) - started)
        # The realtime path's own share: from the 201 reaching the client to the publication (may be < 0).
        after_response.append(max(arrivals.values()) - answered)
    lost += args.messages - len(measured)
    for client in clients:
        await client.disconnect()
    # With one sending connection the messages are committed in send order, so they must arrive in it.
    position = {message_text(tag, i): i for i in sent}
    out_of_order = (
        sum(
            sum(1 for a, b in itertools.pairwise(texts) if position.get(a, -1) > position.get(b, -1))
            for texts in arrival_order.values()
        )
        if args.connections == 1
        else None
    )

    return {
        "url": base,
        "ws_url": ws_url,
        "messages": args.messages,
        "rate_per_s": args.rate,
        "recipients": len(recipients),
        "lost": lost,
        "duplicates": duplicates,
        "out_of_order": out_of_order,
        "post_rtt_ms": summary(post_rtt),
        "post_to_publication_ms": summary(delivery),
        "response_to_publication_ms": summary(after_response),
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"\n{result['messages']} messages at {result['rate_per_s']}/s to {result['recipients']} recipient(s) "
        f"via {result['ws_url']} — lost: {result['lost']}, duplicates: {result['duplicates']}, out of order: "
        f"{'n/a (several sending connections)' if result['out_of_order'] is None else result['out_of_order']}\n"
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
    parser.add_argument("--connections", type=int, default=8, help="the sender's concurrent HTTP connections")
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
    sys.exit(1 if result["lost"] or result["duplicates"] or result["out_of_order"] else 0)


if __name__ == "__main__":
    main()
