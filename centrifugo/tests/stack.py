"""Real servers for the realtime tests: Redis, Centrifugo (generated config), the relay (a subprocess on the test
database), nginx, and centrifuge-python clients driven from an asyncio loop in a background thread.

A pytest plugin registered by the root conftest.py rather than this folder's conftest, so that every test that
needs the stack (these, the web client's browser tests) shares one set of servers: two relays on one database
would not both deliver (only the holder of the advisory lock does).

Everything listens on free loopback ports and every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import centrifuge
import pytest
import requests
from django.conf import settings

from centrifugo.server import ServerOptions, binary_version, build_config, find_binary
from users.models import User
from users.services import session_start

ROOT = Path(settings.BASE_DIR)
WAIT = 10.0  # seconds any single realtime expectation may take


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def stop_process(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# ------------------------------------------------------------------------------------------------------- servers
@pytest.fixture(scope="session")
def realtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("realtime")


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A throwaway redis-server on a free loopback port; yields its URL."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(binary, os.X_OK):
        pytest.fail("redis-server is not installed (scripts/services.sh ensure-test-deps installs it)")
    port = free_port()
    args = ["--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(workdir)]
    proc = subprocess.Popen(
        [binary, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc=proc)
        yield f"redis://127.0.0.1:{port}"
    finally:
        stop_process(proc)


@pytest.fixture(scope="session")
def redis_url(realtime_dir: Path) -> Iterator[str]:
    with redis_server(realtime_dir) as url:
        yield url


def centrifugo_environment() -> dict[str, str]:
    """Centrifugo reads CENTRIFUGO_* variables as options (CENTRIFUGO_HTTP_API_KEY...): the Django-side variables
    of the same prefix must not reach it; the generated config is the whole truth."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CENTRIFUGO_")}


class CentrifugoServer:
    """A Centrifugo process with the project's generated config; stop()/start() keep the ports and Redis."""

    def __init__(self, binary: str, workdir: Path, redis_url: str) -> None:
        self.binary = binary
        self.version = binary_version(binary)
        self.port = free_port()
        self.internal_port = free_port()
        self.options = ServerOptions.from_settings(
            address="127.0.0.1",
            port=self.port,
            internal_port=self.internal_port,
            redis_url=redis_url,
            log_level="error",
        )
        self.config = workdir / "centrifugo.json"
        self.config.write_text(json.dumps(build_config(self.options)))
        self.log = workdir / "centrifugo.log"
        self.proc: subprocess.Popen | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/connection/websocket"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.internal_port}/api"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "-c", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.config.parent,
                env=centrifugo_environment(),
            )
        try:
            wait_for_port(self.port, proc=self.proc)
            wait_for_port(self.internal_port, proc=self.proc)
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n{self.log.read_text()[-3000:]}") from exc

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@pytest.fixture(scope="session")
def centrifugo_binary() -> str:
    binary = find_binary()
    if binary is None:
        pytest.fail("no Centrifugo binary: run scripts/centrifugo-build.sh (make test does) or set CENTRIFUGO_BIN")
    return binary


@pytest.fixture(scope="session")
def centrifugo_server(centrifugo_binary: str, realtime_dir: Path, redis_url: str) -> Iterator[CentrifugoServer]:
    server = CentrifugoServer(centrifugo_binary, realtime_dir, redis_url)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def centrifugo(centrifugo_server: CentrifugoServer) -> Iterator[CentrifugoServer]:
    """The session's Centrifugo, running when the test starts and again after it (tests may stop it)."""
    if not centrifugo_server.running():
        centrifugo_server.start()
    yield centrifugo_server
    if not centrifugo_server.running():
        centrifugo_server.start()


def database_url_for_processes() -> str:
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        pytest.skip("the relay subprocess needs the PostgreSQL test database (scripts/test.sh)")
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(centrifugo_api_url: str, **extra: str) -> dict[str, str]:
    """The environment of a project process (relay, gunicorn) on the test database."""
    return {
        **os.environ,
        "DATABASE_URL": database_url_for_processes(),
        "CENTRIFUGO_API_URL": centrifugo_api_url,
        "CENTRIFUGO_API_KEY": settings.CENTRIFUGO_API_KEY,
        "CENTRIFUGO_API_TIMEOUT": "2",
        "CENTRIFUGO_RELAY_MAX_BACKOFF": "0.3",
        "CENTRIFUGO_RELAY_POLL_INTERVAL": "1",
        "LOG_LEVEL": "INFO",
        **extra,
    }


class RelayProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self, *, wait: bool = True) -> None:
        self._started_at = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "manage.py", "centrifugo_relay"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if wait:
            self.wait_started()

    def wait_started(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 60  # Django starts slowly on a loaded machine
        while not self.logged("relay started"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the relay did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)

    def logged(self, text: str) -> bool:
        """Whether this run of the process (not an earlier one in the same log) wrote `text`."""
        with self.log.open("rb") as log:
            log.seek(self._started_at)
            return text.encode() in log.read()

    def stop(self) -> None:
        stop_process(self.proc)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no clean-up, the way a crash or the OOM killer ends it
        self.proc.wait(10)

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:]


class GunicornProcess:
    """The API as deployed: gunicorn serving application.wsgi on a free loopback port (an "API node")."""

    def __init__(self, env: dict[str, str], workdir: Path, workers: int = 2) -> None:
        self.env, self.workers = env, workers
        self.port = free_port()
        self.log, self.access_log = workdir / "gunicorn.log", workdir / "access.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True) -> None:
        args = ["--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--preload"]
        args += ["--access-logfile", str(self.access_log), "--error-logfile", str(self.log)]
        # gunicorn 27's control socket defaults to one path per user: keep each node's apart.
        args += ["--control-socket", str(self.log.with_name("gunicorn.ctl"))]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "application.wsgi:application", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if wait:
            self.wait_started()

    def wait_started(self) -> None:
        try:
            wait_for_port(self.port, timeout=60, proc=self.proc)
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"gunicorn did not start: {exc}\n{log}") from exc

    def requests_served(self) -> int:
        return len(self.access_log.read_text().splitlines()) if self.access_log.exists() else 0

    def stop(self) -> None:
        stop_process(self.proc)


@pytest.fixture(scope="session")
def relay(
    db_sessions_closed: None, django_db_blocker: Any, centrifugo_server: CentrifugoServer, realtime_dir: Path
) -> Iterator[RelayProcess]:
    """`manage.py centrifugo_relay` on the test database, as in production (a separate process)."""
    process = RelayProcess(process_env(centrifugo_server.api_url), realtime_dir / "relay.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()


# ------------------------------------------------------------------------------------------------------- clients
class Api:
    """A user talking HTTP to the live server, as an SPA does."""

    def __init__(self, base: str, user: User) -> None:
        self.base = base
        self.user = user
        self.access = session_start(user).access
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.access}"

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.base}{path}", timeout=10, **kwargs)
        assert response.status_code == expect, (method, path, response.status_code, response.text[:500])
        return response.json() if response.content else None

    def create_chat(self, *others: User, title: str = "group") -> str:
        body = {"is_private": False, "title": title, "members": [str(u.id) for u in others]}
        return self.call("POST", "/api/chats/", 201, json=body)["id"]

    def send(self, chat: str, text: str) -> dict[str, Any]:
        return self.call("POST", "/api/messages/", 201, json={"chat": chat, "text": text})

    def message(self, message_id: str) -> dict[str, Any]:
        return self.call("GET", f"/api/message/{message_id}/", 200)


class LoopThread:
    """An asyncio loop in a daemon thread: sync tests submit coroutines with a timeout."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="centrifuge-clients")
        self.thread.start()

    def run(self, coro: Any, timeout: float = WAIT) -> Any:
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), self.loop).result(timeout + 1)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="session")
def client_loop() -> Iterator[LoopThread]:
    loop = LoopThread()
    yield loop
    loop.close()


class ClientEvents(centrifuge.ClientEventHandler):
    def __init__(self, listener: Listener) -> None:
        self.listener = listener

    async def on_error(self, ctx: centrifuge.ErrorContext) -> None:
        self.listener.errors.put(ctx)

    async def on_disconnected(self, ctx: centrifuge.DisconnectedContext) -> None:
        self.listener.errors.put(ctx)


class Events(centrifuge.SubscriptionEventHandler):
    def __init__(self, listener: Listener) -> None:
        self.listener = listener

    async def on_publication(self, ctx: centrifuge.PublicationContext) -> None:
        self.listener.publications.put(ctx.pub.data)

    async def on_subscribed(self, ctx: centrifuge.SubscribedContext) -> None:
        self.listener.subscribed.put(ctx)

    async def on_unsubscribed(self, ctx: centrifuge.UnsubscribedContext) -> None:
        self.listener.unsubscribed.put(ctx)

    async def on_error(self, ctx: centrifuge.SubscriptionErrorContext) -> None:
        self.listener.errors.put(ctx)


class Listener:
    """One user's centrifuge-python client, with tokens from the API, subscribed to one channel."""

    def __init__(self, loop: LoopThread, ws_url: str, api_url: str, access: str, channel: str) -> None:
        self.loop = loop
        self.api_url = api_url
        self.headers = {"Authorization": f"Bearer {access}"}
        self.channel = channel
        self.publications: queue.Queue[Any] = queue.Queue()
        self.subscribed: queue.Queue[Any] = queue.Queue()
        self.unsubscribed: queue.Queue[Any] = queue.Queue()
        self.errors: queue.Queue[Any] = queue.Queue()
        # The SDK creates futures when objects are constructed: build them on the loop thread.
        self.client, self.sub = loop.run(self._build(ws_url))

    async def _build(self, ws_url: str) -> tuple[centrifuge.Client, centrifuge.Subscription]:
        client = centrifuge.Client(
            ws_url, events=ClientEvents(self), get_token=self._connect_token, max_reconnect_delay=1.0
        )
        sub = client.new_subscription(
            self.channel, events=Events(self), get_token=self._subscribe_token, max_resubscribe_delay=1.0
        )
        return client, sub

    async def _token(self, path: str, body: dict[str, Any]) -> str:
        def post() -> requests.Response:
            return requests.post(f"{self.api_url}{path}", json=body, headers=self.headers, timeout=5)

        response = await asyncio.to_thread(post)
        if response.status_code in (401, 403):
            raise centrifuge.UnauthorizedError()
        response.raise_for_status()
        return response.json()["token"]

    async def _connect_token(self) -> str:
        return await self._token("/api/centrifugo/connect/", {})

    async def _subscribe_token(self, channel: str) -> str:
        return await self._token("/api/centrifugo/subscribe/", {"client": "python", "channel": channel})

    def start(self, *, wait: bool = True) -> Listener:
        async def go() -> None:
            await self.client.connect()
            await self.sub.subscribe()
            if wait:
                await self.sub.ready(timeout=WAIT)

        try:
            self.loop.run(go())
        except TimeoutError:
            raise AssertionError(f"could not subscribe to {self.channel}: {self.drain(self.errors)}") from None
        return self

    @staticmethod
    def drain(q: queue.Queue[Any]) -> list[Any]:
        items = []
        while not q.empty():
            items.append(q.get_nowait())
        return items

    def disconnect(self) -> None:
        self.loop.run(self.client.disconnect())

    def reconnect(self) -> None:
        async def go() -> None:
            await self.client.connect()
            await self.sub.ready(timeout=WAIT)

        self.loop.run(go())

    def close(self) -> None:
        # Teardown must not mask the test's own failure.
        with contextlib.suppress(Exception):
            self.loop.run(self.client.disconnect(), timeout=5)

    def get(self, timeout: float = WAIT) -> Any:
        try:
            return self.publications.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no publication on {self.channel} within {timeout}s") from None

    def get_many(self, n: int, timeout: float = WAIT) -> list[Any]:
        deadline = time.monotonic() + timeout
        return [self.get(max(0.01, deadline - time.monotonic())) for _ in range(n)]

    def assert_silent(self, seconds: float = 0.5) -> None:
        try:
            extra = self.publications.get(timeout=seconds)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected publication on {self.channel}: {extra}")


@pytest.fixture
def listen(
    db_sessions_closed: None, client_loop: LoopThread, centrifugo: CentrifugoServer, live_server: Any
) -> Iterator[Callable[..., Listener]]:
    """listen(access_token, channel) -> a connected and subscribed Listener (closed after the test)."""
    listeners: list[Listener] = []

    def make(access: str, channel: str, *, wait: bool = True) -> Listener:
        listener = Listener(client_loop, centrifugo.ws_url, live_server.url, access, channel)
        listeners.append(listener)
        return listener.start(wait=wait)

    yield make
    for listener in listeners:
        listener.close()


# --------------------------------------------------------------------------------------------------------- nginx
class NginxServer:
    def __init__(self, runtime: Path, port: int, proc: subprocess.Popen, media: Path, static: Path) -> None:
        self.runtime, self.port, self.proc, self.media, self.static = runtime, port, proc, media, static

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/connection/websocket"


def start_nginx(workdir: Path, apis: list[str], centrifugos: list[str]) -> NginxServer:
    """nginx with the project's config (nginx/render.py): one upstream server per API and Centrifugo node."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(binary, os.X_OK):
        pytest.fail("nginx is not installed (scripts/services.sh ensure-test-deps installs it)")
    port = free_port()
    runtime, media, static = workdir / "nginx", workdir / "media", workdir / "static"
    media.mkdir(exist_ok=True)
    static.mkdir(exist_ok=True)
    subprocess.run(
        [
            *(sys.executable, str(ROOT / "nginx" / "render.py"), "run", "--runtime", str(runtime)),
            *("--listen", f"127.0.0.1:{port}", "--static", str(static), "--media", str(media), "--workers", "1"),
            *(arg for api in apis for arg in ("--api", api)),
            *(arg for node in centrifugos for arg in ("--centrifugo", node)),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    proc = subprocess.Popen(
        [binary, "-p", str(runtime), "-c", str(runtime / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=(runtime / "stderr.log").open("wb"),
    )
    try:
        wait_for_port(port, proc=proc)
    except (RuntimeError, TimeoutError):
        stop_process(proc)
        raise
    return NginxServer(runtime, port, proc, media, static)


@pytest.fixture(scope="session")
def nginx_server(realtime_dir: Path, live_server: Any, centrifugo_server: CentrifugoServer) -> Iterator[NginxServer]:
    """nginx with the project's config in front of the live server and Centrifugo."""
    api = live_server.url.split("://", 1)[1].replace("localhost", "127.0.0.1")
    server = start_nginx(realtime_dir, [api], [f"127.0.0.1:{centrifugo_server.port}"])
    try:
        yield server
    finally:
        stop_process(server.proc)
