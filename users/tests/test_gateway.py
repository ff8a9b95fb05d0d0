"""GET /api/gateway/verify/ — directly, and behind a real nginx with the example `auth_request` config."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import PASSWORD
from users.models import AuthSession, User
from users.services import session_start

VERIFY = "/api/gateway/verify/"
EXAMPLE = Path(django_settings.BASE_DIR) / "nginx" / "gateway-example.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.mark.django_db
class TestVerify:
    def test_valid_bearer_token(self, api: APIClient, user: User) -> None:
        response = api.get(VERIFY)
        assert response.status_code == 200
        assert response["X-User-Id"] == str(user.id)
        assert response["X-Username"] == user.username
        assert response.content == b""

    def test_valid_cookie(self, user: User) -> None:
        browser = APIClient(enforce_csrf_checks=True)
        browser.post("/api/auth/cookie/", {"username": user.username, "password": PASSWORD}, format="json")
        response = browser.get(VERIFY)
        assert response.status_code == 200
        assert response["X-User-Id"] == str(user.id)

    def test_cookie_guarding_an_unsafe_method_needs_csrf(self, user: User) -> None:
        browser = APIClient(enforce_csrf_checks=True)
        login = browser.post("/api/auth/cookie/", {"username": user.username, "password": PASSWORD}, format="json")
        assert browser.get(VERIFY, HTTP_X_ORIGINAL_METHOD="POST").status_code == 403
        response = browser.get(VERIFY, HTTP_X_ORIGINAL_METHOD="POST", HTTP_X_CSRFTOKEN=login.data["csrf_token"])
        assert response.status_code == 200
        assert browser.get(VERIFY, HTTP_X_ORIGINAL_METHOD="GET").status_code == 200

    def test_refused_tokens_are_401(self, anon_client: APIClient, api: APIClient, user: User) -> None:
        assert anon_client.get(VERIFY).status_code == 401
        anon_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
        response = anon_client.get(VERIFY)
        assert response.status_code == 401
        assert "X-User-Id" not in response
        assert response["WWW-Authenticate"].startswith("Bearer")
        anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.tokens.refresh}")
        assert anon_client.get(VERIFY).status_code == 401  # a refresh token is no access token
        assert api.post("/api/auth/logout/").status_code == 204
        assert api.get(VERIFY).status_code == 401  # revoked

    def test_non_ascii_username_is_percent_encoded(self, client_for, make_user) -> None:
        user = make_user(username="ёжик")
        response = client_for(user).get(VERIFY)
        assert response["X-Username"] == "%D1%91%D0%B6%D0%B8%D0%BA"

    def test_one_query_and_no_presence_write(self, api: APIClient, user: User, django_assert_num_queries) -> None:
        long_ago = timezone.now() - timedelta(days=1)
        User.objects.filter(pk=user.pk).update(last_online_at=long_ago)
        with django_assert_num_queries(1):
            assert api.get(VERIFY).status_code == 200
        user.refresh_from_db()
        assert user.last_online_at == long_ago


# --- a real nginx in front of the live API ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _example_block(name: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    match = re.search(rf"^# BEGIN {name}\n(.*?)^# END {name}$", text, re.S | re.M)
    assert match, f"{EXAMPLE} has no {name} block"
    return "\n".join(line.removeprefix("#").removeprefix(" ") for line in match.group(1).splitlines())


class _Echo(BaseHTTPRequestHandler):
    """The protected service: answers with what the gateway told it."""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "path": self.path,
                "x_user_id": self.headers.get("X-User-Id"),
                "x_username": self.headers.get("X-Username"),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


@pytest.fixture
def gateway(live_server) -> Iterator[str]:
    if not os.path.exists(NGINX):
        pytest.skip("nginx is not installed")
    backend = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    backend.daemon_threads = True
    threading.Thread(target=backend.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    api_address = live_server.url.removeprefix("http://")
    upstreams = (
        _example_block("upstreams")
        .replace("127.0.0.1:8000", api_address)
        .replace("127.0.0.1:9000", f"127.0.0.1:{backend.server_address[1]}")
    )
    port = _free_port()
    tmp = Path(tempfile.mkdtemp(prefix="gateway-nginx-"))
    temp_paths = "\n".join(
        f"{kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""
{"user root;" if os.geteuid() == 0 else ""}
daemon off;
master_process off;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    {temp_paths}
{upstreams}
    server {{
        listen 127.0.0.1:{port};
{_example_block("locations")}
    }}
}}
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (tmp / "error.log").read_text() if (tmp / "error.log").exists() else ""
                    pytest.fail(f"nginx did not start: {process.stdout.read().decode()} {log}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        backend.shutdown()
        backend.server_close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.django_db(transaction=True)
def test_nginx_auth_request_guards_the_location(gateway: str, make_user) -> None:
    user = make_user()
    tokens = session_start(user)

    assert requests.get(f"{gateway}/protected/thing", timeout=5).status_code == 401
    bad = requests.get(f"{gateway}/protected/thing", headers={"Authorization": "Bearer garbage"}, timeout=5)
    assert bad.status_code == 401

    headers = {"Authorization": f"Bearer {tokens.access}", "X-User-Id": "forged-by-the-client"}
    response = requests.get(f"{gateway}/protected/thing?x=1", headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json() == {"path": "/protected/thing?x=1", "x_user_id": str(user.id), "x_username": user.username}

    # the access cookie of a cookie session works too; an unsafe method needs its CSRF token
    cookie = {"access_token": tokens.access}
    assert requests.get(f"{gateway}/protected/thing", cookies=cookie, timeout=5).status_code == 200
    assert requests.post(f"{gateway}/protected/thing", cookies=cookie, timeout=5).status_code == 403

    # logout revokes: the gateway refuses the old token at once
    AuthSession.objects.filter(user=user).delete()
    response = requests.get(
        f"{gateway}/protected/thing", headers={"Authorization": f"Bearer {tokens.access}"}, timeout=5
    )
    assert response.status_code == 401
