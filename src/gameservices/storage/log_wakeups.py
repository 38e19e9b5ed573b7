"""Wake-ups for processes sharing one PostgreSQL database: a transaction that appends to a partner's event log
also sends `NOTIFY gameservices_log, '<partnerId>'` (delivered when it commits), and each server process
listens, so it can catch up with the partner before a request asks. The payload only wakes: what changed is
always read from the log itself. SQLite has no such channel: `LogPoller` reads the followed partners' log seqs
every few milliseconds instead, and at once when another process rings (`storage.doorbells`); a request that
finds its state behind the partner's versions catches up itself. Listeners of this process's own commits
(`listen_locally`) are told after each commit."""

import contextlib
import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterable

import psycopg
from sqlalchemy import Connection, Engine, text

from gameservices.storage.database import after_commit, read_transaction
from gameservices.storage.partners import MAX_PARTNER_ID, log_seqs

_log = logging.getLogger(__name__)
CHANNEL = "gameservices_log"
_RECONNECT_SECONDS = 1.0
# A listening connection silent this long is asked to answer a query, within _ANSWER_SECONDS; one that does not
# (a network path or a proxy that stopped carrying it: nothing closes it) is cut and listens again on a new one.
_CHECK_AFTER_SECONDS = 5.0
_ANSWER_SECONDS = 5.0


# This process's own listeners (weakly held: an application that is gone stops listening), told after commit.
_local: list["weakref.WeakMethod[Callable[[set[int]], None]]"] = []


def listen_locally(method: Callable[[set[int]], None]) -> None:
    """Call a bound method with the partner's id each time a transaction of this process that appended to a
    partner's log commits."""
    _local.append(weakref.WeakMethod(method))


def notify(conn: Connection, partner_id: int) -> None:
    """Wake the other processes (PostgreSQL) and this process's own listeners once this transaction commits."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": str(partner_id)}
        )
    if _local:
        with contextlib.suppress(
            RuntimeError
        ):  # a connection outside write_transaction: nobody local to tell
            after_commit(conn, lambda: _wake_locally(partner_id))


def _wake_locally(partner_id: int) -> None:
    for reference in list(_local):
        method = reference()
        if method is None:
            _local.remove(reference)
            continue
        try:
            method({partner_id})
        except Exception:  # a listener's failure is not the writer's
            _log.warning("a local wake-up listener failed", exc_info=True)


class LogListener:
    """A thread that listens for wake-ups and calls `on_partners` with the partners whose logs grew."""

    def __init__(
        self,
        engine: Engine,
        on_partners: Callable[[set[int]], None],
        *,
        followed: Callable[[], Iterable[int]] | None = None,
    ) -> None:
        """`followed`: the partners to catch up once a lost connection listens again (wake-ups sent while it was
        gone are lost)."""
        self._url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._enabled = engine.dialect.name == "postgresql"
        self._on_partners = on_partners
        self._followed = followed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-log-listener", daemon=True)

    def start(self) -> "LogListener":
        """Start listening (nothing happens for a database other than PostgreSQL)."""
        if self._enabled:
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        lost = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as listening:
                    listening.execute(f"LISTEN {CHANNEL}")
                    if lost and self._followed is not None:
                        self._wake(set(self._followed()))
                    self._listen(listening)
            except Exception:  # the database went away: listen again once it is back
                _log.warning("event log listener lost its connection", exc_info=True)
                lost = True
                self._stop.wait(_RECONNECT_SECONDS)

    def _listen(self, listening: psycopg.Connection[tuple[object, ...]]) -> None:
        heard = time.monotonic()
        while not self._stop.is_set():
            woken: set[int] = set()
            # Wait for the first wake-up, then take the ones already queued behind it: one catch-up each.
            woken.update(_partners(listening.notifies(timeout=0.5, stop_after=1)))
            if woken:
                woken.update(_partners(listening.notifies(timeout=0.001)))
                heard = time.monotonic()
                self._wake(woken)
            elif time.monotonic() - heard >= _CHECK_AFTER_SECONDS:
                _check_answers(listening)
                heard = time.monotonic()

    def _wake(self, partner_ids: set[int]) -> None:
        if not partner_ids:
            return
        try:
            self._on_partners(partner_ids)
        except Exception:  # a failed catch-up is done again by the next request
            _log.warning("catching up after a wake-up failed", exc_info=True)


def _check_answers(listening: psycopg.Connection[tuple[object, ...]]) -> None:
    """Raise unless the connection answers a query within _ANSWER_SECONDS: a connection that does not is cut
    (its socket shut down from a timer), which ends the waiting query with an error."""

    answered = threading.Event()
    guard = (
        threading.Lock()
    )  # (the socket is cut only while the query waits: never once its descriptor may be reused)

    def cut() -> None:
        with guard:
            if answered.is_set():
                return
            with contextlib.suppress(OSError), socket.socket(fileno=os.dup(listening.fileno())) as connection:
                connection.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(_ANSWER_SECONDS, cut)
    timer.daemon = True
    timer.start()
    try:
        listening.execute("SELECT 1")
    finally:
        with guard:
            answered.set()
        timer.cancel()


class LogPoller:
    """SQLite's stand-in for LISTEN: a thread that reads the log seqs of the partners this process follows every
    `interval` seconds (one primary-key query) and calls `on_partners` with those whose logs grew, so that another
    process's write is usually caught up with before a request asks."""

    def __init__(
        self,
        engine: Engine,
        followed: Callable[[], dict[int, int]],
        on_partners: Callable[[set[int]], None],
        *,
        interval: float = 0.01,
    ) -> None:
        self._engine = engine
        self._followed = followed
        self._on_partners = on_partners
        self._interval = interval
        self._stop = threading.Event()
        self._poked = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-log-poller", daemon=True)

    def start(self) -> "LogPoller":
        """Start polling."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        self._poked.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def poke(self) -> None:
        """Look now, not at the next round (another process rang: `storage.doorbells`)."""
        self._poked.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._poked.wait(self._interval)
            self._poked.clear()
            if self._stop.is_set():
                return
            try:
                known = self._followed()
                if not known:
                    continue
                # (A read transaction: SQLite's plain BEGIN, which takes no write lock and waits for no writer.)
                with read_transaction(self._engine) as conn:
                    seqs = log_seqs(conn, set(known))
                grown = {partner_id for partner_id, seq in seqs.items() if seq > known[partner_id]}
                if grown:
                    self._on_partners(grown)
            except Exception:  # a failed round is done again at the next one
                _log.warning("polling the event log failed", exc_info=True)


def _partners(wakeups: Iterable[psycopg.Notify]) -> set[int]:
    return {partner_id for wakeup in wakeups if (partner_id := _partner_id(wakeup.payload)) is not None}


def _partner_id(payload: str) -> int | None:
    """The partner a wake-up names; None for any other payload (every client of the database can notify)."""
    # ASCII digits only: str.isdigit() alone also takes "²", which int() refuses.
    if not (payload.isascii() and payload.isdigit() and len(payload) <= 10):
        return None
    partner_id = int(payload)
    return partner_id if 1 <= partner_id <= MAX_PARTNER_ID else None
