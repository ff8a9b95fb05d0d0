"""A black-box client of the contract, for a running stack (`make run`, docker-compose, a deployment).

    .venv/bin/python scripts/smoke.py [--url http://localhost:8080] [--messages 50]

It does what the SPA clients do, over HTTP and a real Centrifugo websocket through nginx: register (multipart with
an avatar, and JSON), log in, refresh (and checks both old tokens are refused), read and patch the profile, search
users, create a private chat, send messages with files and a voice note, and checks that the other member receives
every event (create, update, read, read_all, delete) in order, each equal to a REST fetch. It cleans up after
itself (deletes the users) and exits non-zero on the first broken expectation.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import struct
import sys
import time
import uuid
from typing import Any

import requests
from centrifuge import Client, PublicationContext, SubscriptionEventHandler
from PIL import Image

PASSWORD = "smoke-Test-password-42"


class Failure(Exception):
    pass


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise Failure(what)
    print(f"  ok  {what}")


def png(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(buffer, format="PNG")
    return buffer.getvalue()


def ogg_voice() -> bytes:
    # A minimal Ogg page header ("OggS", version 0) followed by an OpusHead packet: enough for magic-byte checks.
    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    return b"OggS" + bytes([0, 2]) + b"\0" * 20 + bytes([1, len(head)]) + head


class Api:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.http = requests.Session()
        self.access = ""
        self.refresh = ""

    def call(self, method: str, path: str, expected: int, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if self.access:
            headers.setdefault("Authorization", f"Bearer {self.access}")
        response = self.http.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kwargs)
        if response.status_code != expected:
            raise Failure(f"{method} {path}: expected {expected}, got {response.status_code}: {response.text[:300]}")
        return response.json() if response.content and "json" in response.headers.get("Content-Type", "") else None

    def login(self, username: str) -> None:
        tokens = self.call("POST", "/api/auth/", 200, json={"username": username, "password": PASSWORD})
        self.access, self.refresh = tokens["access"], tokens["refresh"]


class Inbox(SubscriptionEventHandler):
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def on_publication(self, ctx: PublicationContext) -> None:
        self.events.append(ctx.pub.data)


async def subscribe(api: Api, ws_url: str, user_id: str) -> tuple[Client, Inbox]:
    async def connect_token() -> str:
        return api.call("POST", "/api/centrifugo/connect/", 200, json={})["token"]

    async def subscribe_token(channel: str) -> str:
        return api.call("POST", "/api/centrifugo/subscribe/", 200, json={"channel": channel})["token"]

    inbox = Inbox()
    client = Client(ws_url, get_token=connect_token)
    subscription = client.new_subscription(user_id, events=inbox, get_token=subscribe_token)
    await client.connect()
    await subscription.subscribe()
    return client, inbox


async def wait_for(inbox: Inbox, count: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while len(inbox.events) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def main(base: str, messages: int) -> None:
    ws_url = base.replace("http", "ws", 1).rstrip("/") + "/connection/websocket"
    suffix = uuid.uuid4().hex[:6]
    alice, bob = Api(base), Api(base)

    print("users and tokens")
    me = alice.call(
        "POST",
        "/api/register/",
        201,
        data={"username": f"alice{suffix}", "password": PASSWORD, "first_name": "Alice", "last_name": "L", "bio": "hi"},
        files={"avatar": ("me.png", png("red"), "image/png")},
    )
    expect(me["avatar"].startswith("http"), "registered with an avatar (absolute URL)")
    expect(requests.get(me["avatar"], timeout=10).status_code == 200, "the avatar URL loads")
    bob_user = bob.call(
        "POST", "/api/register/", 201, json={"username": f"bob{suffix}", "password": PASSWORD, "first_name": "Bob"}
    )
    alice.login(f"alice{suffix}")
    bob.login(f"bob{suffix}")
    old_access, old_refresh = alice.access, alice.refresh
    fresh = alice.call("POST", "/api/auth/refresh/", 200, json={"refresh": old_refresh})
    alice.access = old_access
    alice.call("GET", "/api/user/current/", 401)
    alice.access = ""
    alice.call("POST", "/api/auth/refresh/", 401, json={"refresh": old_refresh})
    alice.access, alice.refresh = fresh["access"], fresh["refresh"]
    expect(True, "after a refresh both old tokens are refused (401)")
    current = alice.call("GET", "/api/user/current/", 200)
    expect(current["id"] == me["id"] and current["is_online"] is True, "GET /api/user/current/")
    patched = alice.call(
        "PATCH",
        f"/api/user/{me['id']}",
        200,
        data={"bio": "Programmer in VK"},
        files={"avatar": ("b.png", png("blue"))},
    )
    expect(patched["bio"] == "Programmer in VK" and patched["avatar"] != me["avatar"], "PATCH without slash + avatar")
    found = alice.call("GET", f"/api/users/?search=bob{suffix}&page_size=5", 200)
    expect(found["count"] == 1 and found["results"][0]["id"] == bob_user["id"], "user search")

    print("realtime and chats")
    bob_ws, bob_inbox = await subscribe(bob, ws_url, bob_user["id"])
    alice_ws, alice_inbox = await subscribe(alice, ws_url, me["id"])
    chat = alice.call("POST", "/api/chats/", 201, json={"is_private": True, "members": [bob_user["id"]], "title": None})
    expect(chat["title"] and chat["is_private"], "private chat created; its title is the other member's")
    again = alice.call("POST", "/api/chats/?fallback=on", 200, json={"is_private": True, "members": [bob_user["id"]]})
    expect(again["id"] == chat["id"], "?fallback=on returns the existing private chat")

    sent = []
    for i in range(messages):
        sent.append(alice.call("POST", "/api/messages/", 201, json={"chat": chat["id"], "text": f"message {i}"}))
    with_files = alice.call(
        "POST",
        "/api/messages/",
        201,
        data={"chat": chat["id"], "text": "files"},
        files=[
            ("files", ("a.png", png("green"), "image/png")),
            ("files", ("notes.txt", b"hello", "text/plain")),
            ("voice", ("voice.ogg", ogg_voice(), "audio/ogg")),
        ],
    )
    sent.append(with_files)
    await wait_for(bob_inbox, len(sent))
    creates = [e for e in bob_inbox.events if e["event"] == "create"]
    expect([e["message"]["id"] for e in creates] == [m["id"] for m in sent], f"{len(sent)} create events in order")
    rest = bob.call("GET", f"/api/message/{with_files['id']}/", 200)
    expect(creates[-1]["message"] == rest, "the event equals GET /api/message/{id}/")
    for url in [f["item"] for f in rest["files"]] + [rest["voice"]]:
        expect(requests.get(url, timeout=10).status_code == 200, f"file loads: {url.rsplit('/', 1)[-1]}")

    bob.call("POST", f"/api/message/{sent[0]['id']}/read/", 200)
    alice.call("PATCH", f"/api/message/{sent[1]['id']}/", 200, json={"text": "edited"})
    bob.call("POST", f"/api/messages/read_all/?chat={chat['id']}", 200)
    alice.call("DELETE", f"/api/message/{sent[2]['id']}/", 204)
    await wait_for(alice_inbox, len(sent) + 4)
    kinds = [e["event"] for e in alice_inbox.events if e["event"] != "create"]
    expect(kinds == ["read", "update", "read_all", "delete"], f"read, update, read_all, delete events: {kinds}")
    listed = bob.call("GET", "/api/chats/?page_size=100", 200)
    mine = next(c for c in listed["results"] if c["id"] == chat["id"])
    expect(mine["unread_messages_count"] == 0 and mine["last_message"]["id"] == with_files["id"], "chat list state")

    await bob_ws.disconnect()
    await alice_ws.disconnect()
    print("clean-up")
    alice.call("DELETE", f"/api/user/{me['id']}/", 204)
    bob.call("DELETE", f"/api/user/{bob_user['id']}/", 204)
    alice.call("GET", "/api/user/current/", 401)
    expect(True, "deleted users' tokens are refused")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://localhost:8080")
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()
    try:
        asyncio.run(asyncio.wait_for(main(args.url, args.messages), timeout=300))
    except Failure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
    print("smoke: all checks passed")
