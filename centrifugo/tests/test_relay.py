"""The outbox and the relay against a real Centrifugo (history checked through its HTTP API)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import psycopg
import pytest
from cent import BroadcastRequest, Client, HistoryRequest
from cent.exceptions import CentNetworkError
from django.conf import settings
from django.db import connection, transaction

from centrifugo import outbox
from centrifugo.models import OutboxEvent
from centrifugo.relay import ADVISORY_LOCK_KEY, MAX_ATTEMPTS, NOTIFY_CHANNEL, Relay, Retry

pytestmark = pytest.mark.realtime


def channel() -> str:
    return str(uuid.uuid4())


def history(server: Any, name: str) -> list[Any]:
    api = Client(server.api_url, settings.CENTRIFUGO_API_KEY, timeout=3)
    return [pub.data for pub in api.history(HistoryRequest(channel=name, limit=100)).publications]


@pytest.fixture
def relay_for(centrifugo: Any) -> Any:
    def make(**kwargs: Any) -> Relay:
        kwargs.setdefault("api_url", centrifugo.api_url)
        return Relay(**kwargs)

    return make


def test_publish_needs_the_service_transaction(transactional_db: None) -> None:
    assert not connection.in_atomic_block
    with pytest.raises(AssertionError):
        outbox.publish(["a"], {"event": "x"})


def test_publish_without_channels_writes_nothing(db: None) -> None:
    with transaction.atomic():
        assert outbox.publish([], {"event": "x"}) is None
    assert not OutboxEvent.objects.exists()


def test_publish_dedupes_and_sorts_channels(db: None) -> None:
    with transaction.atomic():
        pk = outbox.publish(["b", "a", "b"], {"event": "x", "text": 'привет "quoted"', "when": None})
    stored = OutboxEvent.objects.get()
    assert (stored.pk, stored.channels, stored.attempts) == (pk, ["a", "b"], 0)
    assert stored.data == {"event": "x", "text": 'привет "quoted"', "when": None}
    assert stored.created_at is not None


def test_payloads_are_stored_uncompressed(db: None) -> None:
    """Compressing a 400 KB payload (a read_all's ids, before the relay wrote them) cost 12 ms of the request, for
    a row that lives milliseconds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = %s::regclass AND attname IN "
            "('channels', 'data')",
            [OutboxEvent._meta.db_table],
        )
        assert dict(cursor.fetchall()) == {"channels": "e", "data": "e"}
    big = {"messages": [str(uuid.uuid4()) for _ in range(5000)]}
    with transaction.atomic():
        pk = outbox.publish(["1"], big)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_column_compression(data), pg_column_size(data) FROM {OutboxEvent._meta.db_table} WHERE id = %s",
            [pk],
        )
        compression, size = cursor.fetchone()
    assert compression is None and size > 5000 * 36
    assert OutboxEvent.objects.get(pk=pk).data == big


def test_drain_delivers_in_id_order_once_per_row_and_deletes(db: None, relay_for: Any, centrifugo: Any) -> None:
    a, b = channel(), channel()
    with transaction.atomic():
        for i in range(5):
            outbox.publish([a, b], {"event": "create", "n": i})
    relay = relay_for()
    assert relay.drain() is False
    assert not OutboxEvent.objects.exists()
    assert relay.stats.delivered == 5
    assert history(centrifugo, a) == history(centrifugo, b) == [{"event": "create", "n": i} for i in range(5)]


def test_batches(db: None, relay_for: Any, centrifugo: Any) -> None:
    a = channel()
    with transaction.atomic():
        for i in range(5):
            outbox.publish([a], {"n": i})
    relay = relay_for(batch_size=2)
    assert relay.drain() is True
    assert relay.drain() is True
    assert relay.drain() is False
    assert [d["n"] for d in history(centrifugo, a)] == [0, 1, 2, 3, 4]


def test_the_next_row_is_completed_while_one_is_on_the_wire(
    db: None, relay_for: Any, centrifugo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Completing a row (read_all's ids: PostgreSQL, on the relay's thread) overlaps the previous row's broadcast;
    the broadcasts themselves stay one at a time, in id order."""
    a = channel()
    with transaction.atomic():
        outbox.publish([a], {"event": "create", "n": 0})
        for i in (1, 2):  # rows with data to complete, as read_all's
            outbox.publish([a], {"event": "create", "n": i}, {"n": i})
    relay = relay_for()
    log: list[tuple[str, int]] = []
    second_completed = threading.Event()
    send = relay.api.send

    def completing(row: OutboxEvent) -> BroadcastRequest:
        log.append(("complete", row.data["n"]))
        if row.data["n"] == 1:
            second_completed.set()
        return BroadcastRequest(channels=row.channels, data=row.data, idempotency_key=f"outbox-{row.id}")

    def sending(request: BroadcastRequest) -> Any:
        n = request.data["n"]
        log.append(("send", n))
        if n == 0:
            # Without the overlap this waits in vain: row 1 would be completed only after row 0 is accepted.
            assert second_completed.wait(5), "row 1 was not completed during row 0's broadcast"
        result = send(request)
        log.append(("accepted", n))
        return result

    monkeypatch.setattr(relay, "_request", completing)
    monkeypatch.setattr(relay.api, "send", sending)
    assert relay.drain() is False
    assert [d["n"] for d in history(centrifugo, a)] == [0, 1, 2]
    assert [entry for entry in log if entry[0] != "complete"] == [
        ("send", 0),
        ("accepted", 0),
        ("send", 1),
        ("accepted", 1),
        ("send", 2),
        ("accepted", 2),
    ]
    assert log.index(("complete", 1)) < log.index(("accepted", 0))
    assert not OutboxEvent.objects.exists()


def test_rows_with_nothing_to_complete_are_sent_in_place(
    db: None, relay_for: Any, centrifugo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most events have nothing to complete: handing each to the sender thread cost ~15% of the relay's rate."""
    a = channel()
    with transaction.atomic():
        for i in range(3):
            outbox.publish([a], {"n": i})
    relay = relay_for()
    used: list[object] = []
    monkeypatch.setattr(relay._sender, "submit", lambda *args: used.append(args))
    assert relay.drain() is False
    assert not used
    assert [d["n"] for d in history(centrifugo, a)] == [0, 1, 2]


@pytest.mark.parametrize("overlapped", [False, True], ids=["in place", "on the wire while the next completes"])
def test_a_refused_row_holds_back_the_next_one(
    db: None, relay_for: Any, centrifugo: Any, monkeypatch: pytest.MonkeyPatch, overlapped: bool
) -> None:
    """The next row, completed meanwhile, is not broadcast past a row that must be retried."""
    a = channel()
    with transaction.atomic():
        for i in range(3):
            outbox.publish([a], {"n": i}, {"n": i} if overlapped else None)
    relay = relay_for()
    send = relay.api.send
    failing = {1}
    monkeypatch.setattr(
        relay,
        "_request",
        lambda row: BroadcastRequest(channels=row.channels, data=row.data, idempotency_key=f"outbox-{row.id}"),
    )

    def sending(request: BroadcastRequest) -> Any:
        if request.data["n"] in failing:
            raise CentNetworkError("refused for the test")
        return send(request)

    monkeypatch.setattr(relay.api, "send", sending)
    with pytest.raises(Retry):
        relay.drain()
    assert [d["n"] for d in history(centrifugo, a)] == [0]
    assert [row.data["n"] for row in OutboxEvent.objects.order_by("id")] == [1, 2]
    failing.clear()
    assert relay.drain() is False
    assert [d["n"] for d in history(centrifugo, a)] == [0, 1, 2]
    assert not OutboxEvent.objects.exists()


def test_redelivery_of_a_row_is_idempotent(db: None, relay_for: Any, centrifugo: Any) -> None:
    a = channel()
    with transaction.atomic():
        row = OutboxEvent.objects.get(pk=outbox.publish([a], {"n": 1}))
    relay = relay_for()
    relay.deliver(row)
    relay.deliver(row)  # e.g. the relay crashed before deleting the row
    assert history(centrifugo, a) == [{"n": 1}]


def test_centrifugo_unreachable_keeps_rows(db: None, relay_for: Any) -> None:
    a = channel()
    with transaction.atomic():
        outbox.publish([a], {"n": 1})
    relay = relay_for(api_url="http://127.0.0.1:9/api", timeout=0.5)
    with pytest.raises(Retry):
        relay.drain()
    assert OutboxEvent.objects.count() == 1


def test_a_wrong_api_key_is_retried_not_dropped(db: None, relay_for: Any) -> None:
    with transaction.atomic():
        outbox.publish([channel()], {"n": 1})
    relay = relay_for(api_key="wrong")
    for _ in range(MAX_ATTEMPTS + 1):
        with pytest.raises(Retry):
            relay.drain()
    assert OutboxEvent.objects.count() == 1


def test_per_channel_errors_are_checked_and_a_poison_row_is_dropped(db: None, relay_for: Any, centrifugo: Any) -> None:
    good = channel()
    with transaction.atomic():
        poison = outbox.publish([good, "nonexistent_namespace:x"], {"n": 1})
        outbox.publish([good], {"n": 2})
    relay = relay_for()
    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(Retry):
            relay.drain()
        assert OutboxEvent.objects.get(id=poison).attempts == attempt
    relay.drain()  # the last attempt drops the poison row and delivers the next one
    assert relay.stats.dropped == 1
    assert not OutboxEvent.objects.exists()
    # The good channel got the poison row's data exactly once despite the retries (idempotency key).
    assert history(centrifugo, good) == [{"n": 1}, {"n": 2}]


def _pg_dsn() -> str:
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        pytest.skip("PostgreSQL only")
    return f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']} user={db['USER']}" + (
        f" password={db['PASSWORD']}" if db.get("PASSWORD") else ""
    )


def test_insert_trigger_notifies_at_commit_only(transactional_db: None) -> None:
    with psycopg.connect(_pg_dsn(), autocommit=True) as listener:
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        with transaction.atomic():
            outbox.publish([channel()], {"n": 1})
            assert list(listener.notifies(timeout=0.3, stop_after=1)) == []  # not before commit
        assert [n.channel for n in listener.notifies(timeout=3, stop_after=1)] == [NOTIFY_CHANNEL]
        with transaction.atomic():
            outbox.publish([channel()], {"n": 2})
            transaction.set_rollback(True)
        assert list(listener.notifies(timeout=0.3, stop_after=1)) == []  # nothing for a rollback
    OutboxEvent.objects.all().delete()


def test_only_one_relay_holds_the_lock(relay: Any) -> None:
    with psycopg.connect(_pg_dsn(), autocommit=True) as other:
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY]).fetchone()[0] is False


def test_relay_process_delivers_committed_rows(transactional_db: None, relay: Any, centrifugo: Any) -> None:
    a = channel()
    with transaction.atomic():
        outbox.publish([a], {"n": 1})
    deadline = time.monotonic() + 10
    while (OutboxEvent.objects.exists() or not history(centrifugo, a)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert history(centrifugo, a) == [{"n": 1}], relay.tail()
    assert not OutboxEvent.objects.exists()


def test_relay_survives_losing_its_database_connection(transactional_db: None, relay: Any, centrifugo: Any) -> None:
    killed: list[Any] = []
    deadline = time.monotonic() + 10
    with psycopg.connect(_pg_dsn(), autocommit=True) as admin:
        while not killed and time.monotonic() < deadline:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE %s",
                ["%centrifugo%"],
            ).fetchall()
            time.sleep(0.05)
    assert killed, "the relay's connection was not found"
    a = channel()
    with transaction.atomic():
        outbox.publish([a], {"n": "after reconnect"})
    deadline = time.monotonic() + 15
    while (OutboxEvent.objects.exists() or not history(centrifugo, a)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert history(centrifugo, a) == [{"n": "after reconnect"}], relay.tail()
    # It holds the lock again on its new connection.
    with psycopg.connect(_pg_dsn(), autocommit=True) as other:
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY]).fetchone()[0] is False


def test_once_mode_delivers_and_exits(db: None, centrifugo: Any) -> None:
    from django.core.management import call_command

    a = channel()
    with transaction.atomic():
        outbox.publish([a], {"n": 1})
    call_command("centrifugo_relay", "--once", "--api-url", centrifugo.api_url)
    assert history(centrifugo, a) == [{"n": 1}]
