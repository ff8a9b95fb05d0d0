"""Faults survived, with real processes on loopback: a gunicorn worker killed under a send load, the relay killed in
the middle of a stream, PostgreSQL restarted under load, Redis restarted under Centrifugo.

The invariants, whatever the timing: every send answered 201 exists, and every message that exists reached its
subscriber exactly once; requests that fail, fail cleanly (a JSON error, or a connection the client sees broken);
after the fault the service works again without anyone restarting it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import transaction

from centrifugo import outbox
from centrifugo.models import OutboxEvent
from centrifugo.tests.stack import (
    ROOT,
    WAIT,
    Api,
    CentrifugoServer,
    GunicornProcess,
    Listener,
    LoopThread,
    RelayProcess,
    free_port,
    process_env,
    start_nginx,
    stop_process,
    wait_for_port,
)
from messages.models import Message

pytestmark = pytest.mark.realtime
SLOW = 60.0  # seconds a recovery may take on two busy cores


def wait_until(condition: Callable[[], Any], timeout: float = SLOW, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


@pytest.fixture
def listen_at(client_loop: LoopThread) -> Iterator[Callable[..., Listener]]:
    listeners: list[Listener] = []

    def make(ws_url: str, api_url: str, access: str, channel: str, *, wait: bool = True) -> Listener:
        listener = Listener(client_loop, ws_url, api_url, access, channel)
        listeners.append(listener)
        return listener.start(wait=wait)

    yield make
    for listener in listeners:
        listener.close()


def received_ids(listener: Listener, count: int, timeout: float = SLOW) -> list[str]:
    events = listener.get_many(count, timeout=timeout)
    assert all(event["event"] == "create" for event in events), events
    return [event["message"]["id"] for event in events]


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


# ------------------------------------------------------------------------------------ a gunicorn worker SIGKILLed
def test_a_worker_killed_during_a_send_load(
    transactional_db: None,
    relay: RelayProcess,
    centrifugo: CentrifugoServer,
    make_user: Any,
    listen_at: Any,
    tmp_path: Path,
) -> None:
    api = GunicornProcess(process_env(centrifugo.api_url, MEDIA_ROOT=str(tmp_path / "media")), tmp_path, workers=2)
    api.start()
    nginx = start_nginx(tmp_path, [f"127.0.0.1:{api.port}"], [f"127.0.0.1:{centrifugo.port}"])
    try:
        alice, bob = make_user(), make_user()
        sender = Api(nginx.url, alice)
        chat = sender.create_chat(bob)
        bob_events = listen_at(centrifugo.ws_url, nginx.url, Api(nginx.url, bob).access, str(bob.id))

        outcomes: list[tuple[int | str, Any]] = []
        lock = threading.Lock()
        started = threading.Event()

        def send_many(worker: int) -> None:
            with requests.Session() as session:
                session.headers["Authorization"] = sender.session.headers["Authorization"]
                for n in range(20):
                    try:
                        response = session.post(
                            f"{nginx.url}/api/messages/", json={"chat": chat, "text": f"{worker}-{n}"}, timeout=30
                        )
                        outcome: tuple[int | str, Any] = (response.status_code, response)
                    except requests.ConnectionError as exc:
                        outcome = ("connection error", exc)
                    with lock:
                        outcomes.append(outcome)
                        if len(outcomes) >= 15:
                            started.set()

        threads = [threading.Thread(target=send_many, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        assert started.wait(SLOW), "the load did not start"
        killed = worker_pids(api.proc.pid)[0]  # type: ignore[union-attr]
        os.kill(killed, signal.SIGKILL)
        for thread in threads:
            thread.join(SLOW * 2)
        assert len(outcomes) == 80

        created = []
        for status, response in outcomes:
            if status == 201:
                created.append(response.json()["id"])
            elif status != "connection error":
                # A clean failure: the request reached a dying worker and nginx says so, in the error shape.
                assert status == 503, (status, response.text[:300])
                assert response.json()["code"] == "service_unavailable"
        assert len(created) >= 40, Counter(status for status, _ in outcomes)
        # The master replaced the worker: the service goes on without a restart.
        wait_until(lambda: killed not in worker_pids(api.proc.pid) and len(worker_pids(api.proc.pid)) == 2)  # type: ignore[union-attr]
        assert sender.send(chat, "after the kill")["id"]

        stored = {str(pk) for pk in Message.objects.filter(chat_id=chat).values_list("pk", flat=True)}
        assert set(created) <= stored  # every 201 exists
        events = received_ids(bob_events, len(stored))
        assert Counter(events) == Counter(stored)  # every stored message reached bob exactly once
        bob_events.assert_silent(1.0)
    finally:
        stop_process(nginx.proc)
        api.stop()


# ---------------------------------------------------------------------------------------- the relay SIGKILLed
@pytest.fixture
def own_relay(relay: RelayProcess, centrifugo: CentrifugoServer, tmp_path: Path) -> Iterator[RelayProcess]:
    """A relay of this test's own (the session's one is stopped meanwhile: one relay holds the lock)."""
    relay.stop()
    mine = RelayProcess(process_env(centrifugo.api_url), tmp_path / "relay.log")
    try:
        yield mine
    finally:
        mine.stop()
        relay.start()


def test_the_relay_killed_mid_stream_and_restarted(
    transactional_db: None,
    own_relay: RelayProcess,
    centrifugo: CentrifugoServer,
    make_user: Any,
    listen_at: Any,
    live_server: Any,
) -> None:
    bob = make_user()
    bob_events = listen_at(centrifugo.ws_url, live_server.url, Api(live_server.url, bob).access, str(bob.id))
    total = 1500
    with transaction.atomic():
        for n in range(total):
            outbox.publish([str(bob.id)], {"event": "create", "message": {"id": str(n)}})
    own_relay.start()
    first = bob_events.get_many(20, timeout=SLOW)
    own_relay.kill()
    # Killed in the middle: some events were delivered, rows are left (possibly delivered ones whose deletion the
    # kill prevented: the restarted relay sends those again, and Centrifugo drops them by idempotency key).
    assert OutboxEvent.objects.exists(), "the relay finished before it was killed"
    own_relay.start()
    rest = bob_events.get_many(total - len(first), timeout=SLOW * 2)
    ids = [event["message"]["id"] for event in first + rest]
    assert ids == [str(n) for n in range(total)]  # all of them, in order, none twice
    wait_until(lambda: not OutboxEvent.objects.exists(), what="the outbox to drain")
    bob_events.assert_silent(1.0)


# -------------------------------------------------------------------------------------- PostgreSQL restarted
class Cluster:
    """A PostgreSQL cluster of this test's own (scripts/postgres.sh), so restarting it disturbs no other test."""

    def __init__(self) -> None:
        # Readable by the postgres user the script runs the server as when the tests run as root.
        self.dir = Path(tempfile.mkdtemp(prefix="messenger-pg-"))
        self.dir.chmod(0o755)
        self.port = free_port()
        self.url = ""

    def start(self) -> None:
        result = subprocess.run(
            ["scripts/postgres.sh", "start", str(self.dir / "data"), str(self.port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        self.url = result.stdout.strip()

    def stop(self) -> None:
        subprocess.run(["scripts/postgres.sh", "stop", str(self.dir / "data")], cwd=ROOT, timeout=120, check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_postgresql_restarted_under_load(tmp_path: Path) -> None:
    cluster = Cluster()
    api: GunicornProcess | None = None
    try:
        cluster.start()
        env = {**process_env("http://127.0.0.1:9/api", MEDIA_ROOT=str(tmp_path / "media")), "DATABASE_URL": cluster.url}
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stderr
        api = GunicornProcess(env, tmp_path, workers=2)
        api.start()
        with requests.Session() as session:
            body = {"username": "pgfault", "password": "correct-horse-battery"}
            assert session.post(f"{api.url}/api/register/", json=body, timeout=30).status_code == 201
            tokens = session.post(f"{api.url}/api/auth/", json=body, timeout=30).json()
            session.headers["Authorization"] = f"Bearer {tokens['access']}"
            chat = session.post(f"{api.url}/api/chats/", json={"title": "t"}, timeout=30).json()["id"]

            def probe(n: int) -> requests.Response:
                if n % 2:
                    return session.get(f"{api.url}/api/chats/", timeout=30)
                return session.post(f"{api.url}/api/messages/", json={"chat": chat, "text": str(n)}, timeout=30)

            assert probe(1).status_code == 200 and probe(2).status_code == 201
            master = api.proc.pid  # type: ignore[union-attr]
            cluster.stop()
            down = [probe(n) for n in range(10)]
            for response in down:
                assert response.status_code == 503, response.text[:300]
                assert response.headers["Content-Type"].startswith("application/json")
                assert response.json()["code"] == "service_unavailable"
                assert int(response.headers["Retry-After"]) > 0
            cluster.start()
            # Back without restarting gunicorn: its connections are re-established on the next requests.
            wait_until(lambda: probe(1).status_code == 200, what="the API to read again")
            assert probe(2).status_code == 201
            assert api.proc.pid == master and api.proc.poll() is None  # type: ignore[union-attr]
    finally:
        if api is not None:
            api.stop()
        cluster.remove()


# ------------------------------------------------------------------------------------------- Redis restarted
class RedisProcess:
    """redis-server on a fixed port that can be stopped and started again (empty: no persistence)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir, self.port = workdir, free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        args = ["--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(
            [binary, *args, "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port, proc=self.proc)

    def stop(self) -> None:
        stop_process(self.proc)


def test_redis_restarted_under_centrifugo(
    transactional_db: None,
    relay: RelayProcess,
    centrifugo_binary: str,
    make_user: Any,
    listen_at: Any,
    live_server: Any,
    tmp_path: Path,
) -> None:
    redis = RedisProcess(tmp_path)
    redis.start()
    node = CentrifugoServer(centrifugo_binary, tmp_path, redis.url)
    node.start()
    relay.stop()  # the relay of this test publishes to this Centrifugo
    mine = RelayProcess(process_env(node.api_url), tmp_path / "relay.log")
    mine.start()
    try:
        alice, bob = make_user(), make_user()
        sender, reader = Api(live_server.url, alice), Api(live_server.url, bob)
        chat = sender.create_chat(bob)
        bob_events = listen_at(node.ws_url, live_server.url, reader.access, str(bob.id))
        first = sender.send(chat, "before")["id"]
        assert received_ids(bob_events, 1) == [first]

        bob_events.disconnect()
        redis.stop()
        during = sender.send(chat, "while Redis is down")["id"]  # stored; its event waits in the outbox
        redis.start()  # empty: Centrifugo's history is gone
        # Centrifugo reconnects to Redis by itself and the relay delivers what waited.
        wait_until(lambda: not OutboxEvent.objects.exists(), what="the relay to deliver after Redis came back")

        bob_events.reconnect()
        resubscribed = bob_events.subscribed.get(timeout=WAIT)
        while not bob_events.subscribed.empty():
            resubscribed = bob_events.subscribed.get_nowait()
        # The client is told its history could not be recovered...
        assert resubscribed.was_recovering and not resubscribed.recovered
        # ...and refetches over REST, where nothing is missing.
        page = reader.call("GET", f"/api/messages/?chat={chat}", 200)
        assert [m["id"] for m in page["results"][:2]] == [during, first]
        # Live delivery works again.
        after = sender.send(chat, "after")["id"]
        assert received_ids(bob_events, 1) == [after]
    finally:
        mine.stop()
        relay.start()
        node.stop()
        redis.stop()
