"""The relay's client of Centrifugo's server API: cent's request and response types, sent over one keep-alive
connection instead of cent's requests-based session.

cent's default session goes through requests (environment and proxy lookups, adapters, urllib3's pool) on every
call; at 100 events/s that was most of the relay's CPU, more than the work it exists for. The relay is a single
thread calling one host, so a plain `http.client` connection kept open does the same job. Same errors as cent's
own session: CentNetworkError, CentTimeoutError, and the status checks of cent's base session.
"""

from __future__ import annotations

import http.client
import os
import ssl
from typing import Any
from urllib.parse import urlsplit

import orjson
from cent.client.session.base_http_sync import BaseHttpSyncSession
from cent.dto import CentRequest, CentResultType
from cent.exceptions import CentNetworkError, CentTimeoutError

# A kept-alive connection the server closed while idle fails on first use with one of these: reconnect once.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


class KeepAliveSession(BaseHttpSyncSession):
    def __init__(self, base_url: str, timeout: float | None = 10.0) -> None:
        super().__init__()
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._https = url.scheme == "https"
        self._host = url.hostname
        self._port = url.port
        self._path = url.path.rstrip("/")
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self._https:
                # A private CA is honoured as requests would (REQUESTS_CA_BUNDLE).
                context = ssl.create_default_context(cafile=os.environ.get("REQUESTS_CA_BUNDLE") or None)
                self._connection = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout, context=context
                )
            else:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def make_request(self, api_key: str, method: str, json_data: dict[str, Any], timeout: float | None = None) -> str:
        body = orjson.dumps(json_data)
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["X-API-Key"] = api_key
        for attempt in (1, 2):
            connection = self._connect()
            if timeout is not None:
                connection.timeout = timeout
                if connection.sock is not None:
                    connection.sock.settimeout(timeout)
            try:
                connection.request("POST", f"{self._path}/{method}", body=body, headers=headers)
                response = connection.getresponse()
                text = response.read().decode()
            except TimeoutError as exc:
                self.close()
                raise CentTimeoutError(message="Request timeout") from exc
            except _STALE as exc:
                self.close()
                if attempt == 2:  # a fresh connection failed too: Centrifugo is gone
                    raise CentNetworkError(message=f"{type(exc).__name__}: {exc}") from exc
                continue  # every call carries an idempotency key or is read-only: sending it again is safe
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise CentNetworkError(message=f"{type(exc).__name__}: {exc}") from exc
            if response.will_close:
                self.close()
            self.check_status_code(status_code=response.status)
            return text
        raise AssertionError("unreachable")


class CentrifugoAPI:
    """Sends cent's request objects (`BroadcastRequest`, ...) and parses their results as cent's Client does, over
    a KeepAliveSession. Errors are cent's: CentApiResponseError, CentTransportError, CentNetworkError..."""

    def __init__(self, api_url: str, api_key: str, timeout: float | None = 10.0) -> None:
        self.api_url = api_url
        self.api_key = api_key
        self.session = KeepAliveSession(api_url, timeout)

    def send(self, request: CentRequest[CentResultType], timeout: float | None = None) -> CentResultType:
        content = self.session.make_request(self.api_key, request.api_method, request.api_payload, timeout=timeout)
        return request.parse_response(content).result

    def close(self) -> None:
        self.session.close()
