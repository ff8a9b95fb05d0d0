"""Delivery of outbox rows to Centrifugo (see centrifugo.models.OutboxEvent and docs/realtime.md).

`manage.py centrifugo_relay` runs `Relay.run()`: it drains the outbox in id order, one Centrifugo broadcast per
row (idempotency key `outbox-<id>`, per-channel results checked), deletes what Centrifugo accepted, and retries
with backoff while Centrifugo is unreachable. Writers never wait for Centrifugo: they only insert a row.

Pipelined where it pays: when the next row has data to complete (`centrifugo.events.delivered_data`: read_all's
10,000 ids are ~5 ms of PostgreSQL), the current row's broadcast goes out on a sender thread (which never touches
the database) while the relay completes the next one, and the next is sent once the first is accepted. Rows are
still broadcast one at a time, in id order.

Wake-up: an AFTER INSERT trigger on the outbox table (migration 0002) runs
`pg_notify('centrifugo_outbox', '')`. NOTIFY is transactional, so the relay is woken exactly when the writing
transaction commits, never for a rolled-back row, and for every way a row can be inserted. The relay LISTENs on
the same connection that holds the advisory lock, and polls as a fallback.

One active relay: a session-level PostgreSQL advisory lock; a second relay stands by until the first one's
connection goes away.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from cent import BroadcastRequest, BroadcastResult
from cent.exceptions import CentApiResponseError, CentError, CentTransportError
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from application import replica
from centrifugo.api_session import CentrifugoAPI
from centrifugo.events import delivered_data
from centrifugo.models import OutboxEvent

logger = logging.getLogger("centrifugo.relay")

NOTIFY_CHANNEL = "centrifugo_outbox"
# pg_try_advisory_lock key: "cent" in ASCII. Advisory locks are per database.
ADVISORY_LOCK_KEY = 0x63656E74
# Centrifugo API error codes worth retrying forever: internal error, not available, too many requests.
TRANSIENT_CODES = {100, 108, 111}
# A row Centrifugo keeps refusing for another reason (bad channel name, data too large...) is dropped after this
# many attempts with an error in the log, so it cannot block every later event.
MAX_ATTEMPTS = 5
# A standing-by relay tries the lock this often: the takeover after the active relay dies (its database session
# ends with its process) takes at most this long.
STANDBY_RETRY = 1.0


def notify() -> None:
    """Wake a waiting relay now (the insert trigger already does this for every outbox row)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, '')", [NOTIFY_CHANNEL])


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


class Retry(Exception):
    """Delivery must be retried later (Centrifugo down, or refusing for now)."""


@dataclass
class RelayStats:
    delivered: int = 0
    dropped: int = 0
    failures: int = 0


class Relay:
    def __init__(
        self,
        *,
        api_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        batch_size: int = 100,
        poll_interval: float | None = None,
        min_backoff: float = 0.05,
        max_backoff: float | None = None,
    ) -> None:
        api_url = api_url or settings.CENTRIFUGO_API_URL
        timeout = timeout or settings.CENTRIFUGO_API_TIMEOUT
        # cent's requests over one keep-alive connection (centrifugo/api_session.py: the requests-based session's
        # per-call work was most of the relay's CPU).
        self.api = CentrifugoAPI(api_url, api_key or settings.CENTRIFUGO_API_KEY, timeout)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff if max_backoff is not None else _setting("CENTRIFUGO_RELAY_MAX_BACKOFF", 2.0)
        self.stopping = threading.Event()
        self.stats = RelayStats()
        self._session_ready = False  # LISTEN issued and advisory lock held on the current connection
        self._standing_by = False
        # One thread: broadcasts stay in order. It only talks HTTP, so the database stays on the relay's thread
        # (and connection, the one holding the lock).
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-broadcast")

    # ----------------------------------------------------------------------------------------------- the loop
    def run(self) -> None:
        """Deliver until stop() is called. Never raises for Centrifugo or database outages."""
        backoff = self.min_backoff
        logger.info("relay started (Centrifugo API %s)", self.api.api_url)
        try:
            while not self.stopping.is_set():
                try:
                    if not self._ensure_session():
                        self.stopping.wait(STANDBY_RETRY)  # another relay is active: stand by
                        continue
                    if self.drain():
                        backoff = self.min_backoff
                        continue  # a full batch: there may be more
                    backoff = self.min_backoff
                    self._wait()
                except Retry as exc:
                    self.stats.failures += 1
                    logger.warning("delivery failed, retrying in %.2fs: %s", backoff, exc)
                    self.stopping.wait(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
                except DatabaseError as exc:
                    logger.warning("database error, reconnecting in %.2fs: %s", backoff, exc)
                    self._reset_connection()
                    self.stopping.wait(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
        finally:
            self._reset_connection()
            logger.info("relay stopped")

    def stop(self) -> None:
        self.stopping.set()

    def drain(self) -> bool:
        """Deliver one batch in id order. True when the batch was full (call again at once)."""
        rows = list(OutboxEvent.objects.order_by("id")[: self.batch_size])
        if rows:
            # Clients refetch over REST on an event: a read replica must hold the change before they hear of it.
            replica.wait_for_replay()
        delivered: list[int] = []
        in_flight: tuple[OutboxEvent, Future[BroadcastResult]] | None = None
        try:
            for index, row in enumerate(rows):
                if self.stopping.is_set():
                    break
                request = self._request(row)  # the database's part, while the previous row is on the wire
                if in_flight is not None:
                    self._settle(*in_flight)
                    delivered.append(in_flight[0].id)
                    in_flight = None
                following = rows[index + 1] if index + 1 < len(rows) else None
                if following is not None and following.deferred is not None:
                    # The next row has data to complete: its query runs while this one is on the wire.
                    in_flight = (row, self._sender.submit(self.api.send, request))
                else:
                    # Nothing to overlap: sent here (handing a small event to the thread cost ~15% of the rate).
                    self._settle(row, lambda: self.api.send(request))  # noqa: B023 - called at once
                    delivered.append(row.id)
            if in_flight is not None:
                self._settle(*in_flight)
                delivered.append(in_flight[0].id)
                in_flight = None
        finally:
            if in_flight is not None:
                # Left by an error: let the broadcast end before anything else uses the API session. Whatever it
                # did, the row stays and is sent again (the idempotency key makes that safe).
                wait([in_flight[1]])
            if delivered:
                # One plain DELETE: the ORM's delete() collects the rows first (no cascades or signals here).
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"DELETE FROM {OutboxEvent._meta.db_table} WHERE id IN ({', '.join(['%s'] * len(delivered))})",
                        delivered,
                    )
        return len(rows) == self.batch_size and not self.stopping.is_set()

    def deliver(self, row: OutboxEvent) -> None:
        """One broadcast for all of the row's channels. Returns when the row may be deleted; raises Retry."""
        request = self._request(row)
        self._settle(row, lambda: self.api.send(request))

    @staticmethod
    def _request(row: OutboxEvent) -> BroadcastRequest:
        data = delivered_data(row.data, row.deferred)
        return BroadcastRequest(channels=row.channels, data=data, idempotency_key=f"outbox-{row.id}")

    def _settle(self, row: OutboxEvent, sent: Future[BroadcastResult] | Callable[[], BroadcastResult]) -> None:
        """Check a row's broadcast (`sent`: in flight, or to make now). Returns when the row may be deleted;
        raises Retry."""
        try:
            result = sent.result() if isinstance(sent, Future) else sent()
        except CentApiResponseError as exc:
            self._refused(row, f"code {exc.code}: {exc.message}", transient=exc.code in TRANSIENT_CODES)
            return
        except CentTransportError as exc:
            if 400 <= exc.status_code < 500 and exc.status_code not in (401, 403, 429):
                self._refused(row, str(exc), transient=False)
                return
            raise Retry(str(exc)) from exc
        except CentError as exc:  # network, timeout, unauthorized (a wrong API key: fix it, nothing is lost)
            raise Retry(str(exc)) from exc
        failed = {
            channel: response.error
            for channel, response in zip(row.channels, result.responses, strict=False)
            if response.error is not None
        }
        if len(result.responses) != len(row.channels):
            failed["*"] = f"{len(result.responses)} results for {len(row.channels)} channels"  # type: ignore[assignment]
        if failed:
            # Re-broadcasting the whole row is safe: channels that accepted it skip the idempotency key.
            transient = all(getattr(error, "code", 100) in TRANSIENT_CODES for error in failed.values())
            self._refused(row, f"per-channel errors {failed}", transient=transient)
            return
        self.stats.delivered += 1

    def _refused(self, row: OutboxEvent, reason: str, *, transient: bool) -> None:
        row.attempts += 1
        OutboxEvent.objects.filter(id=row.id).update(attempts=row.attempts)
        if transient or row.attempts < MAX_ATTEMPTS:
            raise Retry(f"outbox #{row.id} (attempt {row.attempts}): {reason}")
        self.stats.dropped += 1
        logger.error("dropping outbox #%s after %s attempts: %s; data=%s", row.id, row.attempts, reason, row.data)

    # ------------------------------------------------------------------------------ connection, lock, wake-up
    def _ensure_session(self) -> bool:
        """LISTEN and take the advisory lock on the relay's connection (once per connection)."""
        if self._session_ready:
            return True
        connection.ensure_connection()
        assert not connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            if not cursor.fetchone()[0]:
                if not self._standing_by:
                    logger.info("another relay holds the lock; standing by")
                    self._standing_by = True
                return False
            cursor.execute(f"LISTEN {NOTIFY_CHANNEL}")
        self._session_ready = True
        self._standing_by = False
        logger.info("holding the relay lock: delivering")
        return True

    def _wait(self) -> None:
        """Sleep until a NOTIFY, the poll interval, or stop()."""
        interval = self.poll_interval
        if interval is None:
            interval = _setting("CENTRIFUGO_RELAY_POLL_INTERVAL", 1.0)
        # A stop() is noticed within this slice; notifications arriving meanwhile are queued, not lost.
        deadline = time.monotonic() + interval
        pg = connection.connection
        with connection.wrap_database_errors:
            while not self.stopping.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                # Further queued notifications only cause one more (cheap, empty) drain each.
                for _ in pg.notifies(timeout=min(remaining, 0.5), stop_after=1):
                    return

    def _reset_connection(self) -> None:
        self._session_ready = False
        try:
            if connection.in_atomic_block:
                transaction.set_rollback(True)
            connection.close()
        except DatabaseError:
            pass
