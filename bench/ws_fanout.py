#!/usr/bin/env python3
"""What one Centrifugo node holds: WebSocket connections, its memory per connection, and the latency of one
broadcast to all of them (docs/scaling.md; run by `make bench-scaling`).

    .venv/bin/python bench/ws_fanout.py --ws-url ws://127.0.0.1:8000/connection/websocket \
        --api-url http://127.0.0.1:8001/api --api-key KEY --hmac-secret SECRET --pid CENTRIFUGO_PID \
        [--ws-url ws://...node B...] [--steps 1000,5000,10000] [--rounds 5] [--processes 2] [--json-out FILE]

Every client is a user subscribed to its own personal channel, as the app's clients are, speaking Centrifugo's
JSON protocol over `websockets` (tokens signed here with the HMAC secret). With two --ws-url the clients alternate
between the nodes and the broadcast goes to the first node's API: the publications cross nodes through Redis.
For each step: connect N clients (spread over --processes worker processes), read the node's resident memory, then
--rounds times one `broadcast` of a message-sized payload to all N channels — the fan-out of a message to N users.
Delivery time = arrival at each client minus the start of the API call (one system-wide monotonic clock).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import time
import urllib.request
import uuid
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import jwt
import websockets

PAYLOAD_TEXT = "x" * 400  # a message event is a few hundred bytes of JSON


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------------------------------ workers
class Worker:
    """One process's clients: connect, answer pings, time the arrival of publications."""

    def __init__(self, urls: list[str], channels: list[str], secret: str) -> None:
        self.urls, self.channels, self.secret = urls, channels, secret
        self.arrivals: list[float] = []
        self.expected = 0
        self.done = asyncio.Event()
        self.sockets: list[Any] = []

    def token(self, claims: dict[str, Any]) -> str:
        return jwt.encode({**claims, "exp": int(time.time()) + 3600}, self.secret, algorithm="HS256")

    async def client(self, index: int, limit: asyncio.Semaphore, subscribed: asyncio.Event) -> None:
        channel = self.channels[index]
        async with limit:
            ws = await websockets.connect(self.urls[index % len(self.urls)], max_size=None, compression=None)
            commands = [
                {"id": 1, "connect": {"token": self.token({"sub": channel})}},
                {"id": 2, "subscribe": {"channel": channel, "token": self.token({"sub": channel, "channel": channel})}},
            ]
            await ws.send("\n".join(json.dumps(c) for c in commands))
            while True:
                frame = await ws.recv()
                if '"id":2' in frame:
                    if '"error"' in frame:
                        raise RuntimeError(frame)
                    break
        self.sockets.append(ws)
        subscribed.set()
        async for frame in ws:
            for line in frame.split("\n"):
                if line == "{}":
                    await ws.send("{}")  # the protocol's pong
                elif '"push"' in line:
                    self.arrivals.append(time.monotonic())
                    if len(self.arrivals) >= self.expected:
                        self.done.set()

    async def run(self, pipe: Connection) -> None:
        loop = asyncio.get_running_loop()
        limit = asyncio.Semaphore(200)
        started = time.monotonic()
        events = [asyncio.Event() for _ in self.channels]
        tasks = [asyncio.create_task(self.client(i, limit, e)) for i, e in enumerate(events)]
        waiting = asyncio.gather(*(e.wait() for e in events))
        done, _ = await asyncio.wait([waiting, *tasks], return_when=asyncio.FIRST_COMPLETED)
        if waiting not in done:
            failed = next(t for t in tasks if t.done())
            pipe.send(("error", repr(failed.exception())))
            return
        pipe.send(("ready", time.monotonic() - started))
        while True:
            command = await loop.run_in_executor(None, pipe.recv)
            if command == "arm":
                self.arrivals, self.expected = [], len(self.channels)
                self.done.clear()
                pipe.send("armed")
            elif command == "collect":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.done.wait(), 60)
                pipe.send(self.arrivals)
            else:
                for ws in self.sockets:
                    await ws.close()
                for task in tasks:
                    task.cancel()
                pipe.send("closed")
                return


def worker_main(urls: list[str], channels: list[str], secret: str, pipe: Connection) -> None:
    asyncio.run(Worker(urls, channels, secret).run(pipe))


# --------------------------------------------------------------------------------------------------------- main
def broadcast(api_url: str, api_key: str, channels: list[str]) -> float:
    body = json.dumps({"channels": channels, "data": {"event": "create", "message": {"text": PAYLOAD_TEXT}}}).encode()
    request = urllib.request.Request(
        f"{api_url}/broadcast", data=body, headers={"X-API-Key": api_key, "Content-Type": "application/json"}
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(answer)
    return started


def step(args: argparse.Namespace, n: int, idle_rss: float) -> dict[str, Any]:
    channels = [str(uuid.uuid4()) for _ in range(n)]
    shares = [channels[i :: args.processes] for i in range(args.processes)]
    pipes, procs = [], []
    for share in shares:
        here, there = multiprocessing.Pipe()
        proc = multiprocessing.Process(target=worker_main, args=(args.ws_url, share, args.hmac_secret, there))
        proc.start()
        pipes.append(here)
        procs.append(proc)
    try:
        ready = [pipe.recv() for pipe in pipes]
        if any(state != "ready" for state, _ in ready):
            raise SystemExit(f"clients failed at {n} connections: {ready}")
        connect_s = max(seconds for _, seconds in ready)
        time.sleep(1)
        rss = rss_mb(args.pid)
        rounds = []
        cpu_before = cpu_seconds(args.pid)
        redis_before = cpu_seconds(args.redis_pid) if args.redis_pid else 0.0
        for _ in range(args.rounds):
            for pipe in pipes:
                pipe.send("arm")
            for pipe in pipes:
                pipe.recv()
            started = broadcast(args.api_url, args.api_key, channels)
            for pipe in pipes:
                pipe.send("collect")
            arrivals = [t for pipe in pipes for t in pipe.recv()]
            delays = [(t - started) * 1000 for t in arrivals]
            rounds.append(
                {
                    "delivered": len(delays),
                    "p50_ms": percentile(delays, 50),
                    "p99_ms": percentile(delays, 99),
                    "max_ms": max(delays),
                }
            )
            time.sleep(0.5)
        # The node's own work per broadcast (the clients share the machine, so delivery times include theirs).
        cpu_ms = (cpu_seconds(args.pid) - cpu_before) * 1000 / args.rounds
        redis_ms = (cpu_seconds(args.redis_pid) - redis_before) * 1000 / args.rounds if args.redis_pid else None
    finally:
        for pipe in pipes:
            pipe.send("close")
        for pipe, proc in zip(pipes, procs, strict=True):
            if pipe.poll(30):
                pipe.recv()
            proc.join(10)
    lost = sum(n - r["delivered"] for r in rounds)
    result = {
        "connections": n,
        "nodes": len(args.ws_url),
        "connect_s": round(connect_s, 1),
        "rss_mb": round(rss, 1),
        # Go keeps the memory of an earlier, larger step: per-connection memory is measured on one node only.
        "kb_per_connection": round((rss - idle_rss) * 1024 / n, 1) if len(args.ws_url) == 1 else None,
        "node_cpu_ms_per_broadcast": round(cpu_ms, 1),
        # Node A takes the API call: it writes every channel's history (Redis) and delivers to its own clients.
        "node_cpu_us_per_channel": round(cpu_ms * 1000 / n, 1),
        "redis_cpu_ms_per_broadcast": round(redis_ms, 1) if redis_ms is not None else None,
        "rounds": rounds,
        "p50_ms": round(statistics.median(r["p50_ms"] for r in rounds), 1),
        "p99_ms": round(statistics.median(r["p99_ms"] for r in rounds), 1),
        "last_ms": round(statistics.median(r["max_ms"] for r in rounds), 1),
        "lost": lost,
    }
    print(
        f"{n:>7} connections on {result['nodes']} node(s): connected in {result['connect_s']} s, node RSS "
        f"{result['rss_mb']} MB ({result['kb_per_connection']} KB/connection); broadcast to all: p50 "
        f"{result['p50_ms']} ms, p99 {result['p99_ms']} ms, last {result['last_ms']} ms; lost {lost}; node CPU "
        f"{result['node_cpu_ms_per_broadcast']} ms per broadcast on node A ({result['node_cpu_us_per_channel']} us per "
        f"channel), Redis CPU {result['redis_cpu_ms_per_broadcast']} ms",
        file=sys.stderr,
    )
    time.sleep(2)  # the node notices the closed connections
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ws-url", action="append", required=True, help="a node's client URL (repeat for two)")
    parser.add_argument("--api-url", required=True, help="the HTTP API the broadcast is sent to")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--hmac-secret", required=True)
    parser.add_argument("--pid", type=int, required=True, help="the first node's process: its memory and CPU")
    parser.add_argument("--redis-pid", type=int, help="Redis's process: its CPU per broadcast")
    parser.add_argument("--steps", default="1000,5000,10000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    idle_rss = rss_mb(args.pid)  # before the first client: the node's own footprint
    results = [step(args, int(n), idle_rss) for n in args.steps.split(",")]
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
