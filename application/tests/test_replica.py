"""Reads from a streaming replica (application/replica.py): the routing rules, then a real replica on loopback.

The end-to-end part builds a PostgreSQL streaming replica of the test cluster with pg_basebackup
(scripts/postgres.sh replica), runs two API nodes (gunicorn) with DATABASE_REPLICA_URL and a shared Redis cache,
pauses the replica's replay and shows who reads what.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, connections, transaction

from application import replica
from centrifugo.tests.stack import (
    Api,
    GunicornProcess,
    database_url_for_processes,
    free_port,
    process_env,
    redis_server,
)

ROOT = settings.BASE_DIR


# ---------------------------------------------------------------------------------------------- routing rules
@pytest.fixture
def request_state() -> Iterator[replica.RequestReads]:
    """The state ReplicaMiddleware keeps for a safe request, with the user authenticated."""
    state = replica.RequestReads(safe=True, user_id="u1")
    token = replica._request.set(state)
    yield state
    replica._request.reset(token)


@pytest.fixture
def chosen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def choose(user_id: str) -> str:
        calls.append(user_id)
        return replica.REPLICA

    monkeypatch.setattr(replica, "choose", choose)
    return calls


def test_reads_of_an_authenticated_safe_request_use_the_choice_made_once(
    request_state: replica.RequestReads, chosen: list[str]
) -> None:
    router = replica.ReplicaRouter()
    assert [router.db_for_read(object) for _ in range(3)] == [replica.REPLICA] * 3
    assert chosen == ["u1"]  # one choice per request
    assert router.db_for_write(object) == replica.PRIMARY


@pytest.mark.parametrize("case", ["no request", "unsafe request", "before authentication"])
def test_other_reads_use_the_primary(case: str, chosen: list[str]) -> None:
    state = {
        "no request": None,
        "unsafe request": replica.RequestReads(safe=False, user_id="u1"),
        "before authentication": replica.RequestReads(safe=True),
    }[case]
    token = replica._request.set(state)
    try:
        assert replica.ReplicaRouter().db_for_read(object) == replica.PRIMARY
    finally:
        replica._request.reset(token)
    assert chosen == []


def test_reads_inside_a_transaction_use_the_primary(
    transactional_db: None, request_state: replica.RequestReads, chosen: list[str]
) -> None:
    router = replica.ReplicaRouter()
    with transaction.atomic():
        assert router.db_for_read(object) == replica.PRIMARY
    assert router.db_for_read(object) == replica.REPLICA


def test_middleware_pins_the_writer_after_a_successful_unsafe_request(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pinned: list[str] = []
    monkeypatch.setattr(replica, "pin", pinned.append)

    def view(status: int) -> Any:
        def respond(request: Any) -> Any:
            replica.authenticated("writer")
            return type("Response", (), {"status_code": status})()

        return respond

    request = type("Request", (), {})()
    for method, status in [("POST", 201), ("PATCH", 200), ("DELETE", 204), ("POST", 400), ("GET", 200)]:
        request.method = method
        replica.ReplicaMiddleware(view(status))(request)
    assert pinned == ["writer"] * 3
    assert replica._request.get() is None


def test_a_pin_is_the_primarys_wal_insert_position_for_the_window(transactional_db: None, settings: Any) -> None:
    settings.DATABASE_REPLICA_PIN_SECONDS = 30
    replica.pin("writer")
    lsn = cache.get(replica.pin_key("writer"))
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn() >= %s::pg_lsn", [lsn])
        assert cursor.fetchone()[0] is True
    cache.delete(replica.pin_key("writer"))


class FakeReplica:
    """connections["replica"] as choose() uses it."""

    def __init__(self, replayed: bool | None = None, down: bool = False) -> None:
        self.replayed, self.down, self.asked = replayed, down, []

    def ensure_connection(self) -> None:
        if self.down:
            raise OperationalError("connection refused")

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        self.ensure_connection()
        fake = self

        class Cursor:
            def execute(self, sql: str, params: list[str]) -> None:
                fake.asked.append(params[0])

            def fetchone(self) -> tuple[bool | None]:
                return (fake.replayed,)

        yield Cursor()


@pytest.fixture
def fake_replica(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(fake: FakeReplica) -> FakeReplica:
        monkeypatch.setattr(replica, "connections", {replica.PRIMARY: connections["default"], replica.REPLICA: fake})
        monkeypatch.setattr(replica, "_replica_down_until", 0.0)
        return fake

    yield install
    cache.delete(replica.pin_key("u1"))


def test_choose_the_replica_without_a_pin(fake_replica: Any) -> None:
    fake = fake_replica(FakeReplica())
    assert replica.choose("u1") == replica.REPLICA
    assert fake.asked == []  # no LSN query when the user has not written


@pytest.mark.parametrize(("replayed", "expected"), [(True, "replica"), (False, "default"), (None, "default")])
def test_a_pinned_user_reads_the_replica_once_it_has_replayed_the_write(
    fake_replica: Any, replayed: bool | None, expected: str
) -> None:
    fake = fake_replica(FakeReplica(replayed=replayed))
    cache.set(replica.pin_key("u1"), "0/3000060", timeout=30)
    assert replica.choose("u1") == expected
    assert fake.asked == ["0/3000060"]


def test_an_unreachable_replica_is_skipped_for_a_while(fake_replica: Any) -> None:
    fake = fake_replica(FakeReplica(down=True))
    assert replica.choose("u1") == replica.PRIMARY
    fake.down = False
    assert replica.choose("u1") == replica.PRIMARY  # not tried again yet
    replica._replica_down_until = 0.0
    assert replica.choose("u1") == replica.REPLICA


def test_an_unreachable_cache_means_the_primary(fake_replica: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_replica(FakeReplica(replayed=True))

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(replica.cache, "get", broken)
    assert replica.choose("u1") == replica.PRIMARY


def test_the_relay_waits_for_the_replica_before_publishing_a_batch(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from centrifugo import outbox
    from centrifugo.relay import Relay

    steps: list[str] = []
    monkeypatch.setattr(replica, "wait_for_replay", lambda: steps.append("wait"))
    relay = Relay(api_url="http://127.0.0.1:9/api", timeout=0.5)
    monkeypatch.setattr(relay, "_settle", lambda row, sent: steps.append("deliver"))
    assert relay.drain() is False
    assert steps == []  # nothing to publish, nothing to wait for
    with transaction.atomic():
        outbox.publish(["a"], {"n": 1})
        outbox.publish(["a"], {"n": 2})
    relay.drain()
    assert steps == ["wait", "deliver", "deliver"]  # once per batch, before it goes out


# ------------------------------------------------------------------------------------------------- settings
def settings_with(env: dict[str, str], expression: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CACHE_", "PRODUCTION"))}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings as s; print({expression})",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "application.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_replica_needs_a_shared_cache() -> None:
    result = settings_with(
        {"DATABASE_URL": "postgres://u@db/m", "DATABASE_REPLICA_URL": "postgres://u@replica/m"}, "s.DATABASES"
    )
    assert result.returncode != 0
    assert "CACHE_URL" in result.stderr


def test_the_replica_alias_router_and_middleware() -> None:
    result = settings_with(
        {
            "DATABASE_URL": "postgres://u@db/m",
            "DATABASE_REPLICA_URL": "postgres://u@replica:5433/m",
            "CACHE_URL": "redis://127.0.0.1:6379/1",
        },
        "(s.DATABASES['replica']['HOST'], s.DATABASES['replica']['PORT'], s.DATABASES['replica']['TEST']['MIRROR'],"
        " s.DATABASE_ROUTERS, s.MIDDLEWARE[-1], s.CACHES['default']['BACKEND'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(
        (
            "replica",
            5433,
            "default",
            ["application.replica.ReplicaRouter"],
            "application.replica.ReplicaMiddleware",
            "django.core.cache.backends.redis.RedisCache",
        )
    )


def test_without_a_replica_nothing_changes() -> None:
    result = settings_with({"DATABASE_URL": "postgres://u@db/m"}, "(list(s.DATABASES), s.DATABASE_ROUTERS)")
    assert result.stdout.strip() == "(['default'], [])", result.stderr


# ------------------------------------------------------------------------------------ a real streaming replica
@dataclass
class ReplicaSetup:
    url: str  # the replica's copy of the test database
    nodes: list[GunicornProcess]  # two API nodes reading from it, sharing one Redis cache

    def sql(self, query: str) -> Any:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(query).fetchone()[0]

    def wait_for(self, condition: Any, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.05)

    def caught_up(self) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(database_url_for_processes(), autocommit=True) as primary:
            lsn = primary.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]
        self.wait_for(lambda: self.sql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"))

    def pause(self) -> None:
        self.sql("SELECT pg_wal_replay_pause()")
        self.wait_for(lambda: self.sql("SELECT pg_get_wal_replay_pause_state()") == "paused")

    def resume(self) -> None:
        self.sql("SELECT pg_wal_replay_resume()")


@pytest.fixture(scope="module")
def streaming_replica(db_sessions_closed: None) -> Iterator[ReplicaSetup]:
    primary = settings.DATABASES["default"]
    # Not under pytest's tmp dir: the server runs as `postgres` when the tests run as root, and must reach it.
    workdir = tempfile.mkdtemp(prefix="messenger-replica.")
    os.chmod(workdir, 0o755)
    postgres = [str(ROOT / "scripts" / "postgres.sh")]
    try:
        started = subprocess.run(
            [*postgres, "replica", f"{workdir}/pg", str(free_port()), str(primary["PORT"] or 5432)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip().rsplit("/", 1)[0] + f"/{primary['NAME']}"
        with contextlib.ExitStack() as stack:
            redis = stack.enter_context(redis_server(workdir))
            nodes = []
            for name in "ab":
                node_dir = Path(workdir) / f"api-{name}"
                node_dir.mkdir()
                env = process_env(
                    "http://127.0.0.1:9/api",  # no Centrifugo here: events wait in the outbox
                    DATABASE_REPLICA_URL=url,
                    CACHE_URL=f"{redis}/1",
                    DATABASE_REPLICA_PIN_SECONDS="120",
                    MEDIA_ROOT=f"{node_dir}/media",
                )
                node = GunicornProcess(env, node_dir)
                node.start(wait=False)
                stack.callback(node.stop)
                nodes.append(node)
            for node in nodes:
                node.wait_started()
            yield ReplicaSetup(url, nodes)
    finally:
        subprocess.run([*postgres, "stop", f"{workdir}/pg"], capture_output=True, timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)


def test_the_writer_reads_their_write_while_others_read_the_paused_replica(
    streaming_replica: ReplicaSetup, transactional_db: None, make_user: Any
) -> None:
    node_a, node_b = (node.url for node in streaming_replica.nodes)
    alice, bob, carol = make_user(), make_user(), make_user()
    alice_a, alice_b, bob_b, carol_b = Api(node_a, alice), Api(node_b, alice), Api(node_b, bob), Api(node_b, carol)
    chat = alice_a.create_chat(bob, carol)

    def ids(api: Api) -> list[str]:
        return [m["id"] for m in api.call("GET", f"/api/messages/?chat={chat}", 200)["results"]]

    streaming_replica.caught_up()
    assert ids(carol_b) == []

    streaming_replica.pause()
    try:
        sent = alice_a.send(chat, "written while the replica is paused")
        # Alice, through the other node, reads her write: her reads stay on the primary (the pin is in Redis).
        assert ids(alice_b) == [sent["id"]]
        assert alice_b.message(sent["id"])["text"] == sent["text"]
        # Carol reads the replica, which has not replayed it.
        assert ids(carol_b) == []
        carol_b.call("GET", f"/api/message/{sent['id']}/", 404)
        assert carol_b.call("GET", f"/api/chat/{chat}/", 200)["unread_messages_count"] == 0
        # A write request reads the primary: Bob replies to the message that his reads do not show yet.
        reply = bob_b.call("POST", "/api/messages/", 201, json={"chat": chat, "text": "re", "reply_to": sent["id"]})
        assert ids(carol_b) == []
    finally:
        streaming_replica.resume()

    streaming_replica.caught_up()
    assert ids(carol_b) == [reply["id"], sent["id"]]
    assert carol_b.call("GET", f"/api/chat/{chat}/", 200)["unread_messages_count"] == 2

    # Once the replica has replayed past Alice's write, her reads go back to it: paused again, she does not see
    # what Bob writes now, while Bob does.
    streaming_replica.pause()
    try:
        later = bob_b.send(chat, "later")
        assert ids(bob_b) == [later["id"], reply["id"], sent["id"]]
        assert ids(alice_b) == [reply["id"], sent["id"]]
    finally:
        streaming_replica.resume()
    streaming_replica.caught_up()


def test_the_relay_waits_until_the_replica_has_replayed(
    streaming_replica: ReplicaSetup, transactional_db: None, make_user: Any
) -> None:
    with (
        psycopg.connect(database_url_for_processes(), autocommit=True) as primary,
        psycopg.connect(streaming_replica.url, autocommit=True) as standby,
    ):
        assert replica.wait_until_replayed(primary, standby, timeout=10)
        streaming_replica.pause()
        try:
            make_user()  # a commit the replica does not replay
            started = time.monotonic()
            assert not replica.wait_until_replayed(primary, standby, timeout=0.3)
            assert time.monotonic() - started >= 0.3
        finally:
            streaming_replica.resume()
        assert replica.wait_until_replayed(primary, standby, timeout=10)
