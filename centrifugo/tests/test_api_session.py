"""The relay's keep-alive transport: against a real Centrifugo, and against a server that drops idle connections."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from cent import InfoRequest, PublishRequest
from cent.exceptions import CentNetworkError, CentUnauthorizedError
from django.conf import settings

from centrifugo.api_session import CentrifugoAPI
from centrifugo.tests.stack import free_port


def client_for(api_url: str, api_key: str) -> CentrifugoAPI:
    return CentrifugoAPI(api_url, api_key, timeout=3)


@pytest.mark.realtime
def test_calls_share_one_connection_to_centrifugo(centrifugo: Any) -> None:
    client = client_for(centrifugo.api_url, settings.CENTRIFUGO_API_KEY)
    assert client.send(InfoRequest()).nodes
    first = client.session._connection.sock
    for n in range(20):
        client.send(PublishRequest(channel="keepalive", data={"n": n, "text": "привет"}))
    assert client.session._connection.sock is first  # kept alive, not reconnected per call


@pytest.mark.realtime
def test_a_wrong_key_is_centrifugos_401(centrifugo: Any) -> None:
    with pytest.raises(CentUnauthorizedError):
        client_for(centrifugo.api_url, "wrong-key").send(InfoRequest())


def test_nothing_listening_is_a_network_error() -> None:
    with pytest.raises(CentNetworkError):
        client_for(f"http://127.0.0.1:{free_port()}/api", "k").send(InfoRequest())


class _ClosingHandler(http.server.BaseHTTPRequestHandler):
    """Answers with keep-alive headers, then drops the connection anyway (an idle timeout on the server side)."""

    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(self.path)
        body = b'{"result":{"nodes":[]}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def closing_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ClosingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _ClosingHandler.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


def test_a_connection_closed_while_idle_is_reopened_once(closing_server: str) -> None:
    client = client_for(closing_server, "k")
    for _ in range(3):
        assert client.send(InfoRequest()).nodes == []
    assert _ClosingHandler.seen == ["/api/info"] * 3  # each call reached the server exactly once
