"""The edge as deployed (nginx in front of gunicorn): whatever a client sends, the answer is JSON in the API's error
shape — including what nginx or gunicorn would refuse with an HTML page of their own — and carries the security
headers.

Requests are written byte by byte on a socket: HTTP clients refuse to send most of these.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from centrifugo.tests.stack import (
    CentrifugoServer,
    GunicornProcess,
    NginxServer,
    process_env,
    start_nginx,
    stop_process,
)

pytestmark = pytest.mark.realtime


@dataclass
class Edge:
    nginx: NginxServer
    gunicorn: GunicornProcess

    @property
    def url(self) -> str:
        return self.nginx.url


@pytest.fixture(scope="module")
def edge(
    db_sessions_closed: None, centrifugo_server: CentrifugoServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    root = tmp_path_factory.mktemp("edge")
    gunicorn = GunicornProcess(process_env(centrifugo_server.api_url), root, workers=1)
    gunicorn.start()
    try:
        nginx = start_nginx(root, [f"127.0.0.1:{gunicorn.port}"], [f"127.0.0.1:{centrifugo_server.port}"])
        try:
            yield Edge(nginx, gunicorn)
        finally:
            stop_process(nginx.proc)
    finally:
        gunicorn.stop()


@dataclass
class Raw:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def send_raw(port: int, data: bytes) -> Raw:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(data)
        received = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                received += chunk
    return parse(received)


def parse(received: bytes) -> Raw:
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    if status == 100:  # Expect: 100-continue, then the answer
        return parse(body)
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:] if ": " in line)}
    if headers.get("transfer-encoding") == "chunked":
        chunks, rest = [], body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            if not int(size, 16):
                break
            chunks.append(rest[: int(size, 16)])
            rest = rest[int(size, 16) + 2 :]
        body = b"".join(chunks)
    return Raw(status, headers, body)


def request(line: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    return b"\r\n".join([line, b"Host: localhost", *headers, b"Connection: close", b"", b""]) + body


FORM = "&".join(f"f{i}=1" for i in range(2000)).encode()
CASES = {
    # too long: the URL, one header, all headers (nginx refuses above gunicorn's limits, in JSON)
    "url-7k": (request(b"GET /api/chats/?q=" + b"a" * 7000 + b" HTTP/1.1"), 414, "uri_too_long"),
    "url-100k": (request(b"GET /api/chats/?q=" + b"a" * 100_000 + b" HTTP/1.1"), 414, "uri_too_long"),
    "header-7k": (request(b"GET /api/chats/ HTTP/1.1", b"X-A: " + b"a" * 7000), 431, "headers_too_large"),
    "headers-30k": (
        request(b"GET /api/chats/ HTTP/1.1", *(b"X-%d: " % i + b"a" * 3000 for i in range(10))),
        431,
        "headers_too_large",
    ),
    "2000-headers": (request(b"GET /api/chats/ HTTP/1.1", *(b"X-%d: a" % i for i in range(2000))), 431, None),
    # 150 headers: over gunicorn's default of 100, within nginx's limits: the API answers
    "150-headers": (request(b"GET /api/chats/ HTTP/1.1", *(b"X-%d: a" % i for i in range(150))), 401, None),
    "2000-form-fields": (
        request(
            b"POST /api/auth/ HTTP/1.1",
            b"Content-Type: application/x-www-form-urlencoded",
            b"Content-Length: %d" % len(FORM),
            body=FORM,
        ),
        400,
        "too_many_fields",
    ),
    # methods
    "TRACE": (request(b"TRACE /api/chats/ HTTP/1.1"), 405, "method_not_allowed"),
    "FOO": (request(b"FOO /api/register/ HTTP/1.1"), 405, "method_not_allowed"),
    "CONNECT": (request(b"CONNECT localhost:443 HTTP/1.1"), 400, "bad_request"),
    "OPTIONS-*": (request(b"OPTIONS * HTTP/1.1"), 400, "bad_request"),
    "POST-static": (request(b"POST /static/app.js HTTP/1.1", b"Content-Length: 0"), 404, "not_found"),
    # control characters and malformed request lines
    "NUL-in-path": (request(b"GET /api/ch\x00ats/ HTTP/1.1"), 400, "bad_request"),
    "%00-in-path": (request(b"GET /api/chat/%00/ HTTP/1.1"), 400, "bad_request"),
    "ctrl-in-path": (request(b"GET /api/\x01/ HTTP/1.1"), 400, "bad_request"),
    "space-in-path": (request(b"GET /api/a b/ HTTP/1.1"), 400, "bad_request"),
    "dot-segments": (request(b"GET /api/../../etc/passwd HTTP/1.1"), 400, "bad_request"),
    "NUL-in-header": (request(b"GET /api/chats/ HTTP/1.1", b"X-A: a\x00b"), 400, "bad_request"),
    "tls-to-http": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "bad_request"),
    "HTTP/9.9": (request(b"GET /api/chats/ HTTP/9.9"), 400, "http_version_not_supported"),
    "HTTP/2.0-as-text": (request(b"GET /api/chats/ HTTP/2.0"), 400, "http_version_not_supported"),
    "no-host": (b"GET /api/chats/ HTTP/1.1\r\nConnection: close\r\n\r\n", 400, "bad_request"),
    "bad-host": (b"GET /api/chats/ HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n", 400, "bad_request"),
    # raw (not percent-encoded) bytes: gunicorn would refuse them with an HTML page
    "raw-utf8-query": (request("GET /api/users/?search=привет HTTP/1.1".encode()), 400, "bad_request"),
    "raw-bytes-path": (request(b"GET /api/chat/\xff\xfe/ HTTP/1.1"), 400, "bad_request"),
    "raw-bytes-admin": (request(b"GET /admin/\xff/ HTTP/1.1"), 400, "bad_request"),
    # `//api/...`: nginx merges the slashes to pick the location, Django gets them as they were
    "double-slash": (request(b"GET //api/users/ HTTP/1.1"), 404, "not_found"),
    "NUL-query": (request(b"GET /api/users/?search=a%00b HTTP/1.1", b"Authorization: Bearer x"), 400, "invalid"),
    # bodies
    "content-length-abc": (request(b"POST /api/auth/ HTTP/1.1", b"Content-Length: abc"), 400, "bad_request"),
    "content-length-negative": (request(b"POST /api/auth/ HTTP/1.1", b"Content-Length: -1"), 400, "bad_request"),
    "CL-and-TE": (
        request(b"POST /api/auth/ HTTP/1.1", b"Content-Length: 3", b"Transfer-Encoding: chunked", body=b"0\r\n\r\n"),
        400,
        "bad_request",
    ),
    "TE-gzip": (
        request(b"POST /api/auth/ HTTP/1.1", b"Transfer-Encoding: gzip", body=b"abc"),
        400,
        "transfer_coding_not_supported",
    ),
    "bad-chunk": (
        request(b"POST /api/auth/ HTTP/1.1", b"Transfer-Encoding: chunked", body=b"zz\r\nabc\r\n0\r\n\r\n"),
        400,
        "bad_request",
    ),
    "body-20MB-declared": (request(b"POST /api/auth/ HTTP/1.1", b"Content-Length: 20000000"), 413, "request_too_large"),
    "deep-json-chunked": (
        request(
            b"POST /api/register/ HTTP/1.1",
            b"Transfer-Encoding: chunked",
            b"Content-Type: application/json",
            body=b"%x\r\n" % 4000 + b"[" * 2000 + b"]" * 2000 + b"\r\n0\r\n\r\n",
        ),
        400,
        "parse_error",
    ),
    "expect-100": (
        request(
            b"POST /api/auth/ HTTP/1.1",
            b"Content-Length: 2",
            b"Expect: 100-continue",
            b"Content-Type: application/json",
            body=b"{}",
        ),
        400,
        "invalid",
    ),
    # places outside the API
    "unknown-path": (request(b"GET /wp-login.php HTTP/1.1"), 404, "not_found"),
    "media-directory": (request(b"GET /media/ HTTP/1.1"), 403, "permission_denied"),
    "missing-static": (request(b"GET /static/nope.js HTTP/1.1"), 404, "not_found"),
    "internal-errors-location": (request(b"GET /_errors/500 HTTP/1.1"), 404, "not_found"),
    "websocket-without-upgrade": (request(b"GET /connection/websocket HTTP/1.1"), 400, "bad_request"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_refusal_is_json_in_the_error_shape(edge: Edge, transactional_db: None, case: str) -> None:
    data, status, code = CASES[case]
    response = send_raw(edge.nginx.port, data)
    assert response.status == status, (response.status, response.body[:300])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    assert response.headers.get("x-content-type-options") == "nosniff"


SAMPLE_ID = "0b6f3c1e-8a7d-4c2b-9e5f-1a2b3c4d5e6f"


@pytest.mark.parametrize(
    ("uri", "allow"),
    [
        ("/api/chats/", "GET, POST, HEAD, OPTIONS"),
        ("/api/user/current/", "GET, HEAD, OPTIONS"),
        (f"/api/user/{SAMPLE_ID}/posts/?page=2", "GET, HEAD, OPTIONS"),
        (f"/api/chat/{SAMPLE_ID}/members/{SAMPLE_ID}", "DELETE, OPTIONS"),
        ("/api/user/online/", "HEAD, OPTIONS"),
        ("/chats/123", "GET, HEAD"),
    ],
)
def test_a_trace_is_a_405_that_says_what_the_route_allows(
    edge: Edge, transactional_db: None, uri: str, allow: str
) -> None:
    """nginx refuses TRACE before Django sees it; its 405 carries the `Allow` Django gives for the route."""
    response = send_raw(edge.nginx.port, request(b"TRACE " + uri.encode() + b" HTTP/1.1"))
    assert (response.status, response.json()["code"]) == (405, "method_not_allowed")
    assert response.headers["allow"] == allow
    if uri.startswith("/api/"):
        assert requests.options(edge.url + uri, timeout=10).headers["Allow"] == allow


def test_a_down_api_is_a_json_503_with_retry_after(edge: Edge, tmp_path: Path, transactional_db: None) -> None:
    nginx = start_nginx(tmp_path, ["127.0.0.1:9"], ["127.0.0.1:9"])  # nothing listens on port 9
    try:
        for path in ("/api/chats/", "/connection/websocket", "/admin/"):
            response = requests.get(f"{nginx.url}{path}", timeout=10)
            assert response.status_code == 503
            assert response.json()["code"] == "service_unavailable"
            assert int(response.headers["Retry-After"]) > 0
        response = requests.post(f"{nginx.url}/api/messages/", json={}, headers={"Origin": "https://spa.example"})
        assert response.status_code == 503
        assert response.headers["Access-Control-Allow-Origin"] == "https://spa.example"
    finally:
        stop_process(nginx.proc)


def test_security_headers(edge: Edge, transactional_db: None) -> None:
    api = requests.get(f"{edge.url}/api/chats/", timeout=10)
    assert api.status_code == 401
    assert api.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    for response in (api, requests.get(f"{edge.url}/api/schema/swagger/", timeout=10)):
        assert response.headers["X-Content-Type-Options"] == "nosniff"  # one copy, from nginx
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP here
    docs = requests.get(f"{edge.url}/api/schema/swagger/", timeout=10).headers["Content-Security-Policy"]
    assert "script-src 'self'" in docs and "frame-ancestors 'none'" in docs and "https:" not in docs
    client = requests.get(f"{edge.url}/", timeout=10, allow_redirects=False).headers["Content-Security-Policy"]
    assert "default-src 'self'" in client and "frame-ancestors 'none'" in client and "connect-src 'self'" in client


def test_hsts_only_where_tls_is_on(edge: Edge, transactional_db: None) -> None:
    plain = requests.get(f"{edge.url}/api/chats/", timeout=10)
    assert "Strict-Transport-Security" not in plain.headers
    behind_tls = requests.get(f"{edge.url}/api/chats/", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert behind_tls.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.fixture(scope="module")
def collected_static(edge: Edge) -> Path:
    """The static files (Swagger UI and Redoc from the sidecar package) where this nginx serves /static/ from, as
    `make run` and the Docker image collect them."""
    from django.core.management import call_command
    from django.test import override_settings

    with override_settings(STATIC_ROOT=edge.nginx.static):
        call_command("collectstatic", interactive=False, verbosity=0)
    return edge.nginx.static


@pytest.mark.parametrize("path", ["/api/schema/swagger/", "/api/schema/redoc/"], ids=["swagger", "redoc"])
def test_the_docs_pages_list_the_operations_offline_under_the_csp(
    edge: Edge, collected_static: Path, page: Any, console_errors: Any, transactional_db: None, path: str
) -> None:
    """Only this origin is reachable (anything else is aborted and recorded) and a CSP violation is a console error,
    which fails the test (application/tests/browser.py)."""
    # Redoc always shows its vendor's logo from a CDN: the CSP blocks it (no request leaves) and Redoc hides it.
    console_errors.allow(r"cdn\.redoc\.ly/redoc/logo-mini\.svg' violates the following Content Security Policy")
    elsewhere: list[str] = []

    def only_this_origin(route: Any) -> None:
        if route.request.url.startswith(edge.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_origin)
    response = page.goto(f"{edge.url}{path}")
    assert response is not None and response.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]
    if "swagger" in path:
        expect(page.get_by_text("/api/chats/").first).to_be_visible(timeout=30_000)
        page.get_by_text("My chats, latest activity first").first.click()
        expect(page.get_by_text("PaginatedChatList").first).to_be_visible(timeout=10_000)
    else:
        page.get_by_role("menuitem", name="chats").click(timeout=30_000)
        expect(page.get_by_role("heading", name="My chats, latest activity first")).to_be_visible(timeout=10_000)
    assert not elsewhere, f"the page asked other origins: {elsewhere}"


@pytest.mark.parametrize("cache", ["shared", "down"])
def test_throttling_across_workers_on_redis(redis_url: str, tmp_path: Path, transactional_db: None, cache: str) -> None:
    """Two gunicorn workers count one allowance in Redis; with Redis unreachable, requests go through."""
    env = process_env(
        "http://127.0.0.1:9/api",
        THROTTLE="on",
        THROTTLE_AUTH_ACCOUNT="3/minute",
        CACHE_URL=f"{redis_url}/2" if cache == "shared" else "redis://127.0.0.1:9/2",
    )
    api = GunicornProcess(env, tmp_path, workers=2)
    api.start()
    try:
        statuses = []
        for n in range(8 if cache == "shared" else 4):
            # A new connection each time: the two workers take turns.
            response = requests.post(
                f"{api.url}/api/auth/",
                json={"username": f"victim-{cache}", "password": str(n)},
                headers={"Connection": "close"},
                timeout=30,
            )
            statuses.append(response.status_code)
            assert response.headers["Content-Type"].startswith("application/json")
        if cache == "shared":
            assert statuses == [401] * 3 + [429] * 5, statuses
            assert int(response.headers["Retry-After"]) > 0 and response.json()["code"] == "throttled"
        else:
            assert statuses == [401] * 4, statuses
    finally:
        api.stop()
