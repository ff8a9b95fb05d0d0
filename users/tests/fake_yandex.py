"""A local stand-in for YandexID's token, `info` and avatar endpoints (http.server in a thread).

It speaks the documented shapes: POST /token (form: grant_type, code, client_id, client_secret) answers
{"access_token", "token_type", "expires_in"} or 400 {"error": "invalid_grant"}; GET /info?format=json with
`Authorization: OAuth <token>` answers the profile or 401; GET /avatars/<id>/islands-200 answers the picture.
`mode` simulates trouble: "down" (503 everywhere), "slow" (answers after `delay` seconds), "garbage" (HTML).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeYandex:
    client_id: str = "test-client-id"
    client_secret: str = "test-client-secret"
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # OAuth token -> info JSON
    codes: dict[str, str] = field(default_factory=dict)  # authorization code -> OAuth token
    avatars: dict[str, bytes] = field(default_factory=dict)  # avatar id -> image bytes
    mode: str = "ok"
    delay: float = 2.0
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    base_url: str = ""

    def add_user(self, token: str, **profile: Any) -> dict[str, Any]:
        data = {
            "id": "1000",
            "login": "alice",
            "client_id": self.client_id,
            "first_name": "Alice",
            "last_name": "Liddell",
            "display_name": "alice",
            "default_email": "alice@yandex.ru",
            "emails": ["alice@yandex.ru"],
            "is_avatar_empty": True,
            "psuid": "psuid-" + token,
        }
        data.update(profile)
        self.profiles[token] = data
        return data


def start(fake: FakeYandex) -> ThreadingHTTPServer:
    """Serve on a free loopback port in a daemon thread; `fake.base_url` tells where."""
    return start_on(fake, ThreadingHTTPServer, 0)


def start_on(fake: FakeYandex, server_class: type[ThreadingHTTPServer], port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: Any) -> None:
            self._send(status, json.dumps(data).encode())

        def _trouble(self) -> bool:
            if fake.mode == "down":
                self._json(503, {"error": "temporarily_unavailable"})
                return True
            if fake.mode == "slow":
                time.sleep(fake.delay)
            if fake.mode == "garbage":
                self._send(200, b"<html>oops</html>", "text/html")
                return True
            return False

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            fake.requests.append(("POST", self.path, {"form": form, "headers": dict(self.headers)}))
            if self._trouble():
                return
            if urlsplit(self.path).path != "/token":
                return self._json(404, {"error": "not_found"})
            if form.get("client_id") != fake.client_id or form.get("client_secret") != fake.client_secret:
                return self._json(401, {"error": "invalid_client", "error_description": "Client not found"})
            token = fake.codes.pop(form.get("code", ""), None)  # codes are single-use
            if form.get("grant_type") != "authorization_code" or token is None:
                return self._json(400, {"error": "invalid_grant", "error_description": "Code has expired"})
            return self._json(200, {"access_token": token, "token_type": "bearer", "expires_in": 31536000})

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            fake.requests.append(("GET", self.path, {"headers": dict(self.headers)}))
            if self._trouble():
                return
            if url.path == "/info":
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("OAuth ") if auth.startswith("OAuth ") else None
                profile = fake.profiles.get(token or "")
                if profile is None:
                    return self._send(401, b"invalid token", "text/plain")
                return self._json(200, profile)
            if url.path.startswith("/avatars/") and url.path.endswith("/islands-200"):
                avatar_id = url.path.removeprefix("/avatars/").removesuffix("/islands-200")
                if avatar_id in fake.avatars:
                    return self._send(200, fake.avatars[avatar_id], "image/png")
            return self._json(404, {"error": "not_found"})

    server = server_class(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def main() -> None:
    """Run the fake provider by hand: `python -m users.tests.fake_yandex [port]` (docs/accounts.md)."""
    import sys

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    fake = FakeYandex()
    fake.add_user("demo-token", id="2000", login="demo", first_name="Demo", last_name="User", default_email="")
    fake.codes = _RenewingCodes({"demo-code": "demo-token"})

    class Server(ThreadingHTTPServer):
        allow_reuse_address = True

    server = start_on(fake, Server, port)
    print(
        "Fake YandexID on "
        f"{fake.base_url}. Start the API with:\n"
        f"  YANDEX_CLIENT_ID={fake.client_id} YANDEX_CLIENT_SECRET={fake.client_secret} "
        f"YANDEX_OAUTH_AUTHORIZE_URL={fake.base_url}/authorize YANDEX_OAUTH_TOKEN_URL={fake.base_url}/token "
        f"YANDEX_INFO_URL={fake.base_url}/info YANDEX_AVATAR_URL={fake.base_url}/avatars\n"
        'then POST /api/auth/yandex/login/ with {"oauth_token": "demo-token"}, or with {"code": "demo-code", '
        '"state": <state from GET /api/auth/yandex/>}. Ctrl-C stops.',
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


class _RenewingCodes(dict):
    """For manual runs: the demo code works every time."""

    def pop(self, key: str, default: Any = None) -> Any:
        return self.get(key, default)


if __name__ == "__main__":
    main()
