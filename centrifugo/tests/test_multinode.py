"""Many nodes, one stream of events (docs/scaling.md): Redis, two Centrifugo nodes on the Redis engine, two API
nodes (gunicorn + relay each) behind one nginx upstream, all on loopback.

Node A's relay publishes to Centrifugo node A, node B's to node B; both relays run, and the PostgreSQL advisory
lock lets exactly one of them deliver. Clients connect to a Centrifugo node of their own: events cross nodes
through Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
import requests
from cent import Client, HistoryRequest
from django.conf import settings

from centrifugo.models import OutboxEvent
from centrifugo.relay import ADVISORY_LOCK_KEY, Relay
from centrifugo.tests.stack import (
    WAIT,
    Api,
    CentrifugoServer,
    GunicornProcess,
    Listener,
    LoopThread,
    NginxServer,
    RelayProcess,
    database_url_for_processes,
    process_env,
    redis_server,
    start_nginx,
    stop_process,
)

pytestmark = pytest.mark.realtime
TAKEOVER_LIMIT = 5.0  # seconds from SIGKILL of the active relay until the other one holds the lock


@dataclass
class Cluster:
    centrifugo: list[CentrifugoServer]  # node A, node B
    apis: list[GunicornProcess]  # API node A (publishes through Centrifugo A), API node B (through B)
    relays: dict[str, RelayProcess]  # by application_name: "relay-a", "relay-b"
    nginx: NginxServer

    def lock_holders(self) -> list[str]:
        """application_name of every session holding the relay lock (on the test database)."""
        with psycopg.connect(database_url_for_processes(), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " JOIN pg_database d ON d.oid = l.database"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = %s"
                " AND d.datname = current_database()",
                [ADVISORY_LOCK_KEY],
            ).fetchall()
        return [name for (name,) in rows]

    def wait_for_holder(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while not (holders := self.lock_holders()):
            assert time.monotonic() < deadline, "no relay took the lock"
            time.sleep(0.05)
        assert len(holders) == 1, holders
        return holders[0]


@pytest.fixture(scope="module")
def relay_paused(relay: RelayProcess) -> Iterator[None]:
    """The single-node suite's relay works on the same database: it must not hold the lock meanwhile."""
    relay.stop()
    yield
    relay.start()


@pytest.fixture(scope="module")
def cluster(
    db_sessions_closed: None, relay_paused: None, centrifugo_binary: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(redis_server(root))
        nodes = []
        for name in "ab":
            (root / f"centrifugo-{name}").mkdir()
            node = CentrifugoServer(centrifugo_binary, root / f"centrifugo-{name}", redis)
            node.start()
            stack.callback(node.stop)
            nodes.append(node)
        apis, relays = [], {}
        for name, node in zip("ab", nodes, strict=True):
            workdir = root / f"api-{name}"
            workdir.mkdir()
            env = process_env(node.api_url, MEDIA_ROOT=str(workdir / "media"))
            api = GunicornProcess(env, workdir)
            api.start(wait=False)
            stack.callback(api.stop)
            apis.append(api)
            relay_env = {**env, "DATABASE_URL": f"{env['DATABASE_URL']}?application_name=relay-{name}"}
            relays[f"relay-{name}"] = RelayProcess(relay_env, workdir / "relay.log")
        cluster = Cluster(nodes, apis, relays, nginx=None)  # type: ignore[arg-type]
        # Relay A first, so which one is active is known; then B, which must stand by.
        relays["relay-a"].start()
        stack.callback(relays["relay-a"].stop)
        assert cluster.wait_for_holder() == "relay-a", relays["relay-a"].tail()
        relays["relay-b"].start()
        stack.callback(relays["relay-b"].stop)
        for api in apis:
            api.wait_started()
        cluster.nginx = start_nginx(root, [f"127.0.0.1:{a.port}" for a in apis], [f"127.0.0.1:{n.port}" for n in nodes])
        stack.callback(stop_process, cluster.nginx.proc)
        yield cluster


@pytest.fixture
def listen_on(client_loop: LoopThread) -> Iterator[Callable[..., Listener]]:
    """listen_on(ws_url, api_url, access, channel) -> a subscribed Listener (closed after the test)."""
    listeners: list[Listener] = []

    def make(ws_url: str, api_url: str, access: str, channel: str) -> Listener:
        listener = Listener(client_loop, ws_url, api_url, access, channel)
        listeners.append(listener)
        return listener.start()

    yield make
    for listener in listeners:
        listener.close()


def served_since(apis: list[GunicornProcess], before: list[int], total: int) -> list[int]:
    """Requests each node logged since `before`, once `total` are logged (a line is written after its response)."""
    deadline = time.monotonic() + WAIT
    while sum(served := [api.requests_served() - b for api, b in zip(apis, before, strict=True)]) < total:
        assert time.monotonic() < deadline, served
        time.sleep(0.02)
    return served


def wait_until_delivered(timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while OutboxEvent.objects.exists():
        assert time.monotonic() < deadline, "the relays did not drain the outbox"
        time.sleep(0.02)


# transactional_db also keeps this test beside the others of the module (pytest-django orders tests by their
# database use), so the cluster starts once.
def test_exactly_one_relay_delivers_the_other_stands_by(cluster: Cluster, transactional_db: None) -> None:
    active = cluster.wait_for_holder()
    (standby,) = set(cluster.relays) - {active}
    assert cluster.relays[active].logged("holding the relay lock")
    assert cluster.relays[standby].logged("standing by"), cluster.relays[standby].tail()
    assert not cluster.relays[standby].logged("holding the relay lock")
    assert cluster.relays[standby].proc is not None and cluster.relays[standby].proc.poll() is None


def test_writes_through_api_node_a_reach_a_client_of_centrifugo_node_b_in_order_once(
    cluster: Cluster, transactional_db: None, make_user: Any, listen_on: Any
) -> None:
    alice, bob = make_user(), make_user()
    via_a, bob_via_b = Api(cluster.apis[0].url, alice), Api(cluster.apis[1].url, bob)
    chat = via_a.create_chat(bob)
    to_bob = listen_on(cluster.centrifugo[1].ws_url, cluster.apis[1].url, bob_via_b.access, str(bob.id))
    before = [api.requests_served() for api in cluster.apis]
    sent = [via_a.send(chat, f"message {n}")["id"] for n in range(20)]
    assert served_since(cluster.apis, before, 20)[0] == 20  # the writes went through node A
    received = to_bob.get_many(20)
    assert [(e["event"], e["message"]["id"]) for e in received] == [("create", id_) for id_ in sent]
    assert received[-1]["message"] == bob_via_b.message(sent[-1])
    wait_until_delivered()
    to_bob.assert_silent(0.5)


def test_nginx_spreads_api_requests_over_both_nodes(cluster: Cluster, transactional_db: None) -> None:
    before = [api.requests_served() for api in cluster.apis]
    with requests.Session() as session:
        for _ in range(20):
            assert session.get(f"{cluster.nginx.url}/api/schema/?format=json", timeout=30).status_code == 200
    served = served_since(cluster.apis, before, 20)
    assert sum(served) == 20 and min(served) >= 5, served


class Switch:
    """A TCP forwarder standing for a load balancer in front of the Centrifugo nodes: move() points it at another
    node and closes its open connections, so clients reconnect — to the other node."""

    def __init__(self, loop: LoopThread, port: int) -> None:
        self.loop, self.target = loop, port
        self.writers: set[asyncio.StreamWriter] = set()
        self.server = loop.run(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        pair = {writer, up_writer}
        self.writers |= pair

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= pair

    def move(self, port: int) -> None:
        async def go() -> None:
            self.target = port
            for writer in list(self.writers):
                writer.close()

        self.loop.run(go())

    def close(self) -> None:
        async def go() -> None:
            self.server.close()
            for writer in list(self.writers):
                writer.close()

        self.loop.run(go())


def test_a_client_moved_to_the_other_node_recovers_what_it_missed(
    cluster: Cluster, transactional_db: None, make_user: Any, listen_on: Any, client_loop: LoopThread
) -> None:
    node_a, node_b = cluster.centrifugo
    alice, bob = make_user(), make_user()
    sender, reader = Api(cluster.nginx.url, alice), Api(cluster.nginx.url, bob)
    chat = sender.create_chat(bob)
    switch = Switch(client_loop, node_a.port)
    try:
        to_bob = listen_on(
            f"ws://127.0.0.1:{switch.port}/connection/websocket", cluster.nginx.url, reader.access, str(bob.id)
        )
        first = sender.send(chat, "before")
        assert to_bob.get()["message"]["id"] == first["id"]
        assert not to_bob.subscribed.get(timeout=1).was_recovering
        to_bob.disconnect()
        missed = [sender.send(chat, f"missed {n}")["id"] for n in range(3)]
        wait_until_delivered()  # into the history (in Redis) while the client was away
        switch.move(node_b.port)
        to_bob.reconnect()  # now on node B
        assert [e["message"]["id"] for e in to_bob.get_many(3)] == missed
        resubscribed = to_bob.subscribed.get(timeout=WAIT)
        assert resubscribed.was_recovering and resubscribed.recovered
        after = sender.send(chat, "after")
        assert to_bob.get()["message"]["id"] == after["id"]
        to_bob.assert_silent(0.3)
    finally:
        switch.close()


def test_a_row_sent_again_through_the_other_node_reaches_the_client_once(
    cluster: Cluster, transactional_db: None, make_user: Any, listen_on: Any
) -> None:
    """A relay killed between its broadcast and its DELETE leaves the row; the other relay, publishing through
    the other Centrifugo node, sends it again: the idempotency key (kept in Redis) makes that a no-op."""
    bob = make_user()
    reader = Api(cluster.apis[1].url, bob)
    to_bob = listen_on(cluster.centrifugo[1].ws_url, cluster.apis[1].url, reader.access, str(bob.id))
    row = OutboxEvent(id=2**62 + bob.pk.int % 2**30, channels=[str(bob.id)], data={"event": "create", "n": 1})
    for node in cluster.centrifugo:
        Relay(api_url=node.api_url).deliver(row)
    assert to_bob.get() == {"event": "create", "n": 1}
    to_bob.assert_silent(0.5)
    api = Client(cluster.centrifugo[0].api_url, settings.CENTRIFUGO_API_KEY, timeout=3)
    assert [p.data for p in api.history(HistoryRequest(channel=str(bob.id), limit=10)).publications] == [row.data]


def test_the_standby_relay_takes_over_a_killed_one_within_5s_losing_and_repeating_nothing(
    cluster: Cluster, transactional_db: None, make_user: Any, listen_on: Any
) -> None:
    alice, bob = make_user(), make_user()
    sender, reader = Api(cluster.apis[0].url, alice), Api(cluster.apis[1].url, bob)
    chat = sender.create_chat(bob)
    to_bob = listen_on(cluster.centrifugo[1].ws_url, cluster.apis[1].url, reader.access, str(bob.id))
    active = cluster.wait_for_holder()
    (standby,) = set(cluster.relays) - {active}

    sent: list[str] = []
    errors: list[BaseException] = []
    half_sent = threading.Event()

    def send_all() -> None:
        try:
            for n in range(40):
                sent.append(sender.send(chat, f"message {n}")["id"])
                if n == 14:
                    half_sent.set()
                time.sleep(0.05)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
            half_sent.set()

    thread = threading.Thread(target=send_all)
    thread.start()
    try:
        assert half_sent.wait(60)
        cluster.relays[active].kill()
        killed_at = time.monotonic()
        while cluster.lock_holders() != [standby]:
            assert time.monotonic() - killed_at < TAKEOVER_LIMIT, (
                cluster.lock_holders(),
                cluster.relays[standby].tail(),
            )
            time.sleep(0.02)
        took_over_after = time.monotonic() - killed_at
    finally:
        thread.join(120)
    assert not errors, errors
    assert len(sent) == 40
    received = to_bob.get_many(40, timeout=30)
    assert [e["message"]["id"] for e in received] == sent, f"takeover after {took_over_after:.2f}s"
    wait_until_delivered()
    to_bob.assert_silent(1.0)
    assert cluster.relays[standby].logged("holding the relay lock")
    # The killed relay comes back as the stand-by.
    cluster.relays[active].start()
    deadline = time.monotonic() + 30
    while not cluster.relays[active].logged("standing by"):
        assert time.monotonic() < deadline, cluster.relays[active].tail()
        time.sleep(0.05)
    assert cluster.lock_holders() == [standby]
