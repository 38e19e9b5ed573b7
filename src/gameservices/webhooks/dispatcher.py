"""The webhook dispatcher: a thread (in ``gameservices serve`` and ``gameservices worker``) that turns the change
feed into deliveries and sends the due attempts through a pool of sender threads, at most ``PER_WEBHOOK`` at once
to one webhook (``lanes``).

Any number of dispatchers may share a database. Turning changes into deliveries moves the partner's cursor in
the same transaction, under its row lock, so no two dispatchers make the same deliveries. Each attempt is claimed
under a lease (``storage.webhook_deliveries``): exactly one dispatcher makes it, and one killed mid-attempt is
replaced once the lease runs out (the receiver may then see the message twice, with the same ``webhook-id``).
"""

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable

from gameservices.domain.timefmt import now_ms
from gameservices.storage import webhook_deliveries as deliveries
from gameservices.storage.database import Connection, Engine, read_transaction, write_transaction
from gameservices.storage.log_wakeups import LogListener, listen_locally
from gameservices.storage.webhook_deliveries import Attempt
from gameservices.webhooks import fanout, recording
from gameservices.webhooks.lanes import Lanes
from gameservices.webhooks.sender import Sender, Sent
from gameservices.webhooks.targets import TargetPolicy

_log = logging.getLogger(__name__)
INTERVAL_SECONDS = 0.25
CAPACITY = 64
# Attempts of one webhook sent at once; held at once (claimed: sent, or waiting for their turn) at most this many,
# and no more than can wait their turn within half the lease (each turn may take the whole timeout).
PER_WEBHOOK = 8
HELD_PER_WEBHOOK = 48
LEASE_MS = 60_000
# Old deliveries are deleted in chunks this large, at most once a minute while none is full.
FORGET_CHUNK = 5_000
FORGET_EVERY_SECONDS = 60.0
Clock = Callable[[], int]
# Turns the feed into deliveries: (engine, now) -> changes taken (0 once every feed is taken).
FanOut = Callable[[Engine, int], int]


class Dispatcher:
    """Sends due webhook attempts, at most ``capacity`` at a time; ``now`` (epoch ms) schedules them."""

    def __init__(
        self,
        engine: Engine,
        sender: Sender,
        *,
        fan_out: FanOut | None = None,
        now: Clock = now_ms,
        lease_ms: int = LEASE_MS,
        capacity: int = CAPACITY,
        per_webhook: int = PER_WEBHOOK,
        held_per_webhook: int = HELD_PER_WEBHOOK,
        interval_seconds: float = INTERVAL_SECONDS,
        retention_days: int = 0,
    ) -> None:
        self._engine, self._sender, self._fan_out, self._now = engine, sender, fan_out, now
        self._lease_ms, self._capacity, self._interval = lease_ms, capacity, interval_seconds
        sending = min(per_webhook, capacity)
        turns = max(1, int(lease_ms // (2 * sender.timeout * 1000)))
        self._lanes = Lanes(sending=sending, holding=min(held_per_webhook, sending * turns, capacity))
        # Outcomes are stored (and the next attempts claimed) once half of what one webhook may hold is done.
        self._batch = max(1, self._lanes.holding // 2)
        self._next_fan_out = 0.0
        # Delivered and failed deliveries are kept as long as the event log's entries (0: forever).
        self._retention_ms = retention_days * 86_400_000
        self._next_forget = 0.0
        # Sender threads take claimed attempts from a queue (None: stop); cheaper per attempt than an executor.
        self._work: queue.SimpleQueue[Attempt | None] = queue.SimpleQueue()
        self._senders: list[threading.Thread] = []
        self._finished: queue.SimpleQueue[tuple[Attempt, Sent]] = queue.SimpleQueue()
        self._in_flight = 0
        self._wake = threading.Event()
        self._feed_moved = threading.Event()
        self._listener: LogListener | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="webhook-dispatcher", daemon=True)

    def start(self) -> "Dispatcher":
        """Start dispatching in the background."""
        self._thread.start()
        return self

    def follow_wakeups(self) -> "Dispatcher":
        """Be woken as soon as a partner's log grows, not only once an interval: by this process's writers after
        their commit and, on PostgreSQL, by the other processes' NOTIFY (the log is read all the same)."""
        listen_locally(self.wake)
        self._listener = LogListener(self._engine, self.wake).start()
        return self

    def wake(self, partner_ids: set[int] | None = None) -> None:
        """The feed moved (of these partners): look at it now."""
        self._feed_moved.set()
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop claiming; attempts under way finish and are recorded, within `timeout` seconds in all (each
        attempt ends within the sender's timeout): one still sending then is left to its lease and sent again
        once the lease ends."""
        deadline = time.monotonic() + timeout
        if self._listener is not None:
            self._listener.stop()
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        for _ in self._senders:
            self._work.put(None)
        for sender in self._senders:
            sender.join(max(0.0, deadline - time.monotonic()))
        self._record_finished()
        self._sender.close()

    def run_once(self) -> int:
        """One full pass in the calling thread: make deliveries, then send every attempt due now and record it;
        how many attempts were made."""
        while self._make_deliveries():
            pass
        made = 0
        while batch := self._claim(self._capacity):
            self._send(batch)
            results = [self._finished.get() for _ in batch]
            self._in_flight -= len(results)
            with write_transaction(self._engine) as conn:
                recording.record(conn, results, now=self._now())
            made += len(batch)
        return made

    def _send(self, attempts: list[Attempt]) -> None:
        """Hand claimed attempts to the sender threads (started as they are first needed)."""
        self._lanes.hold(attempts)
        self._in_flight += len(attempts)
        while len(self._senders) < min(self._in_flight, self._capacity):
            thread = threading.Thread(target=self._sending, name="webhook-sender", daemon=True)
            self._senders.append(thread)
            thread.start()
        for attempt in attempts:
            self._work.put(attempt)

    def _sending(self) -> None:
        while (attempt := self._work.get()) is not None:
            self._attempt(attempt)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self._step()
            except Exception:
                # The loop must outlive a failing database or a bug; the next step tries again.
                _log.exception("the webhook dispatcher failed a step")
                busy = False
            if not busy:
                self._wake.wait(self._interval)
            self._wake.clear()

    def _step(self) -> bool:
        self._forget_old_when_due()
        made = self._fan_out_when_due()
        results = self._drain()
        self._in_flight -= len(results)
        free = self._capacity - self._in_flight
        claiming = free >= self._batch or not self._in_flight
        if not results and not (claiming and self._any_due()):
            return bool(made)  # nothing to record or claim: no write transaction (and no writer's turn) taken
        # Outcomes and the next claims share one transaction: one commit (one fsync on SQLite) per step.
        with write_transaction(self._engine) as conn:
            if results:
                recording.record(conn, results, now=self._now())
            claimed = self._claim_in(conn, free) if claiming else []
        self._send(claimed)
        return bool(made or len(claimed) == free > 0)

    def _any_due(self) -> bool:
        with read_transaction(self._engine) as conn:
            return deliveries.any_due(conn, now=self._now())

    def _send_in_turn(self, attempt: Attempt) -> Sent:
        with self._lanes.turn(attempt):
            try:
                return self._sender.send(attempt)
            except Exception as error:  # a bug must not lose the attempt: it is recorded as failed
                _log.exception("webhook delivery %s: sending failed", attempt.delivery_id)
                return Sent(None, f"internal error ({type(error).__name__})")

    def _attempt(self, attempt: Attempt) -> None:
        sent = self._send_in_turn(attempt)
        self._finished.put((attempt, sent))
        # Wake the loop once a batch of outcomes is ready (or the last one): outcomes are stored in batches.
        finished = self._finished.qsize()
        if finished >= self._batch or finished >= self._in_flight:
            self._wake.set()

    def _drain(self) -> list[tuple[Attempt, Sent]]:
        results: list[tuple[Attempt, Sent]] = []
        while True:
            try:
                results.append(self._finished.get_nowait())
            except queue.Empty:
                return results

    def _record_finished(self) -> None:
        results = self._drain()
        if results:
            with write_transaction(self._engine) as conn:
                recording.record(conn, results, now=self._now())

    def forget_old(self) -> int:
        """Delete one chunk of delivered and failed deliveries older than the retention; how many went."""
        if self._retention_ms <= 0:
            return 0
        with write_transaction(self._engine) as conn:
            before = self._now() - self._retention_ms
            return deliveries.delete_finished_before(conn, before=before, limit=FORGET_CHUNK)

    def _forget_old_when_due(self) -> None:
        if time.monotonic() >= self._next_forget:
            forgotten = self.forget_old()
            self._next_forget = time.monotonic() + (
                0.0 if forgotten == FORGET_CHUNK else FORGET_EVERY_SECONDS
            )

    def _fan_out_when_due(self) -> int:
        # The feed is looked at once an interval while it yields nothing, at once again while it does or when a
        # wake-up says it moved; steps in between only send.
        if not self._feed_moved.is_set() and time.monotonic() < self._next_fan_out:
            return 0
        self._feed_moved.clear()  # before reading: a wake-up during the read makes the next step read again
        made = self._make_deliveries()
        self._next_fan_out = 0.0 if made else time.monotonic() + self._interval
        return made

    def _make_deliveries(self) -> int:
        return 0 if self._fan_out is None else self._fan_out(self._engine, self._now())

    def _claim(self, limit: int) -> list[Attempt]:
        with write_transaction(self._engine) as conn:
            return self._claim_in(conn, limit)

    def _claim_in(self, conn: Connection, limit: int) -> list[Attempt]:
        token = uuid.uuid4().hex
        return deliveries.claim_due(
            conn,
            now=self._now(),
            limit=limit,
            lease_ms=self._lease_ms,
            token=token,
            per_webhook=self._lanes.holding,
            held=self._lanes.held(),
        )


def start_dispatcher(
    engine: Engine, *, allow_private: bool, lease_seconds: float, retention_days: int
) -> Dispatcher:
    """Start the dispatcher of a serving or worker process with the settings' outbound rules, lease and
    retention."""
    sender = Sender(TargetPolicy(allow_private=allow_private), connections=CAPACITY)
    lease_ms = max(int(lease_seconds * 1000), 1)
    dispatcher = Dispatcher(
        engine, sender, fan_out=fanout.fan_out, lease_ms=lease_ms, retention_days=retention_days
    )
    return dispatcher.follow_wakeups().start()
