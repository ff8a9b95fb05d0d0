#!/usr/bin/env python3
"""What reaches the members while a group is loaded: one member subscribed over WebSocket (through nginx, with
tokens from the API) times publications against the end of the load.

    python bench/group_delivery.py --url URL --ws-url WS_URL --token ACCESS --chat CHAT_ID [--event create]
        [--timeout 120]

bench/run.py starts it before the scenario's loaded run. It prints `ready` once subscribed, then reads one line
from stdin: the system-wide monotonic time at which the load stopped (`time.monotonic()` in the harness;
CLOCK_MONOTONIC is one clock for every process) and the number of requests the load got answered. Then:

- `--event create` (sends): on the channel that carries the group's message events, it counts the group's
  `create` publications since it subscribed until there are as many as the API's message count grew by;
- `--event read_all`: a big group's reads reach the reader alone, so it watches its own channel and reads the
  chat itself (a member with unread messages that the load did not use) as soon as the load stops. The outbox is
  delivered in order, so its event comes after every event the load queued: its lag is the realtime path's.

It waits for them (or the timeout) and prints one JSON object:

- `messages`: the events expected; `received`: those that reached the member (lost = messages - received);
- `lag_s`: from the end of the load to the last publication's arrival (how far the realtime path fell behind);
- `delivered_per_s` (`create`): publications that reached the member per second, subscribing to last arrival;
- `channel`: where they came from;
- `behind` (`read_all`): the requests the load got answered, whose events were queued before the member's;
- `ids` (`read_all`): how many message ids the member's event listed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

import centrifuge
import requests


class Counter(centrifuge.SubscriptionEventHandler):
    def __init__(self, chat: str, event: str) -> None:
        self.chat, self.event = chat, event
        self.arrivals: list[float] = []
        self.sizes: list[int] = []  # read_all: how many ids each publication listed
        self.changed = asyncio.Event()

    async def on_publication(self, ctx: centrifuge.PublicationContext) -> None:
        data = ctx.pub.data
        if data.get("event") == self.event and data.get("message", {}).get("chat") == self.chat:
            self.arrivals.append(time.monotonic())
            if self.event == "read_all":
                self.sizes.append(len(data["message"].get("messages") or []))
            self.changed.set()


def message_count(http: requests.Session, url: str, chat: str) -> int:
    response = http.get(f"{url}/api/messages/", params={"chat": chat, "page_size": 1}, timeout=30)
    response.raise_for_status()
    return int(response.json()["count"])


def channel_of(http: requests.Session, url: str, chat: str, user: str) -> str:
    """The channel that carries the chat's message events for this member: the chat's `channel` when the API
    names one, else the member's personal channel."""
    response = http.get(f"{url}/api/chat/{chat}/", timeout=30)
    response.raise_for_status()
    return response.json().get("channel") or user


async def run(args: argparse.Namespace) -> dict[str, Any]:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {args.token}"
    me = http.get(f"{args.url}/api/user/current/", timeout=30)
    me.raise_for_status()
    user = str(me.json()["id"])
    if args.event == "read_all":
        channel = user  # a big group's reads reach the reader alone
    else:
        channel = await asyncio.to_thread(channel_of, http, args.url, args.chat, user)

    def token(path: str, body: dict[str, Any]) -> str:
        response = http.post(f"{args.url}/api/centrifugo/{path}/", json=body, timeout=30)
        response.raise_for_status()
        return str(response.json()["token"])

    async def connect_token() -> str:
        return await asyncio.to_thread(token, "connect", {})

    async def subscribe_token(name: str) -> str:
        return await asyncio.to_thread(token, "subscribe", {"channel": name})

    counter = Counter(args.chat, args.event)
    client = centrifuge.Client(args.ws_url, get_token=connect_token)
    subscription = client.new_subscription(channel, events=counter, get_token=subscribe_token)
    await client.connect()
    await subscription.subscribe()
    await subscription.ready(timeout=30)
    before = await asyncio.to_thread(message_count, http, args.url, args.chat) if args.event == "create" else 0
    subscribed_at = time.monotonic()
    print("ready", flush=True)

    line = (await asyncio.to_thread(sys.stdin.readline)).split()
    stopped_at = float(line[0]) if line else time.monotonic()
    answered = int(line[1]) if len(line) > 1 else 0
    if args.event == "read_all":
        read = await asyncio.to_thread(
            http.post, f"{args.url}/api/messages/read_all/", params={"chat": args.chat}, timeout=30
        )
        read.raise_for_status()
        messages = 1 if read.json()["count"] else 0
    else:
        messages = await asyncio.to_thread(message_count, http, args.url, args.chat) - before
    deadline = time.monotonic() + args.timeout
    while len(counter.arrivals) < messages and time.monotonic() < deadline:
        counter.changed.clear()
        try:
            await asyncio.wait_for(counter.changed.wait(), timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            break
    await client.disconnect()
    arrivals = counter.arrivals
    last = arrivals[-1] if arrivals else None
    span = (last - subscribed_at) if last is not None else 0.0
    result = {
        "channel": channel,
        "messages": messages,
        "received": len(arrivals),
        "lost": max(0, messages - len(arrivals)),
        "lag_s": None if last is None else round(max(0.0, last - stopped_at), 3),
        "delivered_per_s": round(len(arrivals) / span, 1) if span > 0 and args.event == "create" else None,
        "timed_out": len(arrivals) < messages,
    }
    if args.event == "read_all":
        result["behind"] = answered
        result["ids"] = counter.sizes[0] if counter.sizes else None
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--ws-url", required=True)
    parser.add_argument("--token", required=True, help="a member's access token")
    parser.add_argument("--chat", required=True)
    parser.add_argument("--event", choices=("create", "read_all"), default="create", help="the kind to count")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the last publication")
    args = parser.parse_args()
    args.url = args.url.rstrip("/")
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
