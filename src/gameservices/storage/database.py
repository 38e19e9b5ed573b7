"""Opening the database: one SQLAlchemy engine per process, SQLite in WAL mode or PostgreSQL through psycopg 3."""

import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, cast

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

# The connection and engine types, for the layers above that pass them along without importing SQLAlchemy.
__all__ = [
    "AfterCommitFailed",
    "Checkpointer",
    "Connection",
    "Engine",
    "after_commit",
    "in_write_transaction",
    "on_rollback",
    "open_engine",
    "read_transaction",
    "write_transaction",
]

_log = logging.getLogger(__name__)
SQLITE_CACHE_KIB = 32 * 1024
CHECKPOINT_INTERVAL_SECONDS = 0.25
_READ_ONLY = "gameservices_read_only"
_AFTER_COMMIT = "gameservices_after_commit"
_ON_ROLLBACK = "gameservices_on_rollback"
_NOTES = "gameservices_notes"
# One writer turn per SQLite engine of the process (`_writer_turn`).
_WRITER_TURNS: "weakref.WeakKeyDictionary[Engine, threading.RLock]" = weakref.WeakKeyDictionary()
_TURNS_GUARD = threading.Lock()


def normalize_url(url: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` URLs to the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def open_engine(url: str) -> Engine:
    """Create the engine for a database URL with the settings this service relies on."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def is_sqlite(engine: Engine) -> bool:
    """Tell whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is switched off so that BEGIN IMMEDIATE below takes the write lock
    # up front; WAL lets readers go on while one writer commits; synchronous=FULL makes a commit durable.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Engine tables are updated at scattered keys: a larger page cache keeps their interior pages at hand.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


class Checkpointer:
    """Copies the SQLite write-ahead log back into the database file from a thread of its own, so that a
    committing request seldom pays for it (SQLite would otherwise checkpoint inside the commit that crosses
    its threshold). A passive checkpoint never blocks readers or the writer, and the GIL is released while
    SQLite works, so the copy overlaps with request handling.
    """

    def __init__(self, engine: Engine, interval_seconds: float = CHECKPOINT_INTERVAL_SECONDS) -> None:
        self._engine = engine
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)

    def start(self) -> "Checkpointer":
        """Start checkpointing (nothing happens for a database other than SQLite)."""
        if is_sqlite(self._engine):
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop, and wait for a checkpoint in progress to end."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        connection = self._engine.raw_connection()
        try:
            while not self._stop.wait(self._interval):
                cursor = connection.cursor()
                try:
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    cursor.fetchall()
                except Exception:  # a failed checkpoint is retried at the next interval
                    _log.warning("WAL checkpoint failed", exc_info=True)
                finally:
                    cursor.close()
        finally:
            connection.close()


def _begin_sqlite(connection: Connection) -> None:
    # Readers take no lock; writers take the write lock at BEGIN so a read-then-write never fails to upgrade.
    if connection.get_execution_options().get(_READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class AfterCommitFailed(Exception):
    """The transaction committed, but an action registered to run after its commit failed (the others ran):
    the write is done, and must not be made again."""


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """Open a transaction that may write; it commits when the block ends without an error, then runs the
    actions registered with ``after_commit`` (never when it rolls back): every one of them, and AfterCommitFailed
    (from the first failure) when some failed."""
    actions: list[Callable[[], None]] = []
    undo: list[Callable[[], None]] = []
    try:
        with _writer_turn(engine), engine.begin() as connection:
            connection.info[_AFTER_COMMIT] = actions
            connection.info[_ON_ROLLBACK] = undo
            connection.info[_NOTES] = {}
            try:
                yield connection
            finally:
                connection.info.pop(_AFTER_COMMIT, None)
                connection.info.pop(_ON_ROLLBACK, None)
                connection.info.pop(_NOTES, None)
    except BaseException:
        for action in undo:
            action()
        raise
    failed: Exception | None = None
    for action in actions:
        try:
            action()
        except Exception as error:  # (committed: the actions after it, such as wake-ups, still run)
            _log.exception("an action after a commit failed")
            failed = failed or error
    if failed is not None:
        raise AfterCommitFailed(f"committed, but an action after the commit failed: {failed}") from failed


def _writer_turn(engine: Engine) -> AbstractContextManager[object]:
    """SQLite takes one writer at a time: this process's writers queue on a lock of their own and start the moment
    the one before commits (queued on SQLite's lock, they would sleep in steps of up to 100 ms). Reentrant: a
    write transaction opened within another in the same thread is SQLite's to refuse, as before."""
    if not is_sqlite(engine):
        return nullcontext()
    with _TURNS_GUARD:
        turn = _WRITER_TURNS.get(engine)
        if turn is None:
            turn = _WRITER_TURNS[engine] = threading.RLock()
    return turn


def in_snapshot(connection: Connection) -> bool:
    """Whether every statement of the connection's transaction reads one snapshot of the database: SQLite's
    transactions and `read_transaction`s do; a PostgreSQL write transaction (READ COMMITTED) sees each commit of
    others as it happens."""
    return connection.dialect.name == "sqlite" or not in_write_transaction(connection)


def in_write_transaction(connection: Connection) -> bool:
    """Whether the connection's transaction was opened by `write_transaction` (what it wrote stays uncommitted
    until its block ends)."""
    return _AFTER_COMMIT in connection.info


def transaction_notes(connection: Connection) -> dict[str, Any]:
    """What the code of one write transaction notes for its later steps (gone when the transaction ends)."""
    notes = connection.info.get(_NOTES)
    if notes is None:
        raise RuntimeError("transaction notes need a connection opened by write_transaction")
    return cast(dict[str, Any], notes)


def after_commit(connection: Connection, action: Callable[[], None]) -> None:
    """Run an action once the connection's write transaction has committed (e.g. update an in-memory view)."""
    actions = connection.info.get(_AFTER_COMMIT)
    if actions is None:
        raise RuntimeError("after_commit needs a connection opened by write_transaction")
    actions.append(action)


def on_rollback(connection: Connection, action: Callable[[], None]) -> None:
    """Run an action if the connection's write transaction rolls back (or fails to commit); nothing happens
    for a connection of a read transaction."""
    actions = connection.info.get(_ON_ROLLBACK)
    if actions is not None:
        actions.append(action)


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """Open a transaction that only reads (on SQLite it takes no write lock)."""
    with engine.connect() as connection:
        options: dict[str, Any] = {_READ_ONLY: True}
        if not is_sqlite(engine):
            # One snapshot for the whole read (SQLite's read transactions are snapshots already): a state
            # loaded or caught up from several statements must see one moment of the log and the tables.
            options["isolation_level"] = "REPEATABLE READ"
        connection = connection.execution_options(**options)
        with connection.begin():
            yield connection
