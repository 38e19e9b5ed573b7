"""The derived tables' checkpoint: `event/send` commits its log entry alone, and the buckets, the ledger and the
users' totals it changed reach their tables later, written from a process's live state together with the log seq
they then reflect (`log_checkpoints`). Start = the tables at their checkpoint + the `events` entries after it.

Three ways bring the tables up to the log:
- `CheckpointThread`, a thread of `serve`, every interval for each partner state holding pending changes;
- `flush`, at the start of every other write (rule, game object, profile and manual score changes, imports,
  period closes, rebuilds): those write the tables in their own transaction as before, from tables that reflect
  the log up to them, and move the checkpoint to their own entry. So the log after a checkpoint only ever holds
  `events` entries, which a loading process applies in memory (`projection.loading`);
- `bring_up`, before a read of the tables themselves (reports, a user's ledger, badge lists): the reader sees
  every write answered before it, as reads of the live state do.

Every writer of the tables holds the partner's checkpoint row lock (`storage.checkpoints.lock`): checkpoints of
several processes take turns, and one written from a state older than the tables is skipped.
"""

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gameservices.errors import Unavailable
from gameservices.projection.loading import refresh
from gameservices.projection.pending import CheckpointRows, Straddled
from gameservices.projection.state import PartnerState
from gameservices.storage import buckets as bucket_repository
from gameservices.storage import checkpoints, event_log
from gameservices.storage import partners as partner_repository
from gameservices.storage import scores as score_repository
from gameservices.storage.database import (
    Connection,
    Engine,
    after_commit,
    read_transaction,
    write_transaction,
)
from gameservices.storage.scores import UserScoreRow

if TYPE_CHECKING:
    from gameservices.projection.live import LiveState

__all__ = [
    "CheckpointThread",
    "Written",
    "bring_up",
    "checkpoint_partner",
    "flush",
    "prepare_write",
    "write_checkpoint",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Written:
    """A checkpoint: from which seq to which, and how many rows it wrote."""

    partner_id: int
    before: int
    seq: int
    rows: int


def flush(conn: Connection, state: PartnerState, partner_id: int) -> None:
    """Bring the partner's tables up to the state's log seq within the caller's write transaction, before it
    writes the tables itself; its own entries then move the checkpoint along (`storage.event_log.append`).

    The caller holds the partner row's lock (`partners.lock_versions`) and brought the state up to it."""
    if checkpoints.tables_at(conn, partner_id) == state.log_seq:
        return
    before = checkpoints.lock(conn, partner_id)
    seq = state.log_seq
    if before < seq:
        rows = _rows_lacking(conn, state, partner_id, before)
        _write_rows(conn, partner_id, rows)
        checkpoints.advance(conn, partner_id, rows.seq)
        seq = rows.seq
    checkpoints.note_tables_at(conn, partner_id, max(before, seq))
    after_commit(conn, lambda: state.written_through(seq))


def prepare_write(conn: Connection, state: PartnerState, partner_id: int) -> None:
    """Begin a write that may change the derived tables: lock the partner row, bring the state up to it, and the
    tables up to the state."""
    refresh(conn, state, partner_id, partner_repository.lock_versions(conn, partner_id))
    flush(conn, state, partner_id)


def write_checkpoint(engine: Engine, state: PartnerState, partner_id: int) -> Written | None:
    """Write what the tables lack of this state (as of its log seq) in a transaction of its own; None when the
    state held nothing newer than the tables."""
    with write_transaction(engine) as conn:
        before = checkpoints.lock(conn, partner_id)
        if state.log_seq <= before:
            after_commit(conn, lambda: state.written_through(before))
            return None
        rows = _rows_lacking(conn, state, partner_id, before)
        if rows.seq <= before:
            # The state was forgotten (or loaded afresh) while this waited for its rows: a write of this process
            # that took in its own entries and rolled back holds it until it is forgotten (`loading.refresh`).
            return None
        if rows.seq > event_log.last_seq(conn, partner_id):
            # The state holds entries the log does not (a rolled-back write's, forgotten in a moment). Written,
            # they would put the checkpoint past the log, over the next entries appended there.
            return None
        _write_rows(conn, partner_id, rows)
        checkpoints.advance(conn, partner_id, rows.seq)
        after_commit(conn, lambda: state.written_through(rows.seq))
    return Written(partner_id, before, rows.seq, len(rows))


def checkpoint_partner(engine: Engine, partner_id: int) -> Written | None:
    """Bring one partner's tables up to its whole log (`gameservices db checkpoint`): load its state afresh (the
    tables at their checkpoint and the entries after it) and write what the tables lack; None when nothing."""
    from gameservices.projection.live import LiveState

    live = LiveState()
    with read_transaction(engine) as conn, live.reading(conn, partner_id) as state:
        pass
    return write_checkpoint(engine, state, partner_id)


# Times `bring_up` reads the state and writes what the tables lack before it gives up.
BRING_UP_TRIES = 5


def bring_up(engine: Engine, live: "LiveState", partner_id: int) -> None:
    """Before reading the derived tables: make them reflect every entry committed so far (the reader then sees
    every write answered before it). `Unavailable` (answered 503, to be tried again) when they still lack some
    after BRING_UP_TRIES tries: only while the partner's writes in this process keep failing and rolling back."""
    for _ in range(BRING_UP_TRIES):
        with read_transaction(engine) as conn, live.reading(conn, partner_id) as state:
            seq, pending = state.log_seq, state.has_pending
        if not pending:
            return
        written = write_checkpoint(engine, state, partner_id)
        if written is not None and written.seq >= seq:
            return
        # Nothing written: the tables were at the state's seq already, unless a rolled-back write of this process
        # forgot the state meanwhile (the tables then lack what it held: read it again, loaded afresh).
        with read_transaction(engine) as conn:
            if checkpoints.read(conn, partner_id) >= seq:
                return
    _log.warning("partner %s: the derived tables could not be brought up to the log", partner_id)
    raise Unavailable(
        "The partner's scores are being written; try again in a moment", args={"RETRY_AFTER": 1}
    )


def _rows_lacking(conn: Connection, state: PartnerState, partner_id: int, before: int) -> CheckpointRows:
    """What the tables, at checkpoint `before` (which nobody moves while the caller holds the checkpoint row),
    lack of the state, as of its seq (`rows.seq`). A state holding entries applied together on both sides of
    `before` (a load's, when another process wrote a checkpoint among them) cannot tell what the tables lack: a
    state of its own is loaded right here, from those tables and the log after them (which is at least as new as
    the live one), and holds exactly that. The live state is left as it is: the partner's writer may be reading it
    without its lock (`event.evaluate_whole`), and half a load in its place would have it score and decide
    achievements against the tables' older buckets. Its straddling entries go once the checkpoint commits
    (`written_through` at a seq past them)."""
    try:
        with state.lock.shared():
            return state.checkpoint_rows(before)
    except Straddled:
        _log.info("partner %s: the checkpoint lies among entries loaded together; loading again", partner_id)
    loaded = PartnerState()
    loaded.make_private()  # (read by this thread alone)
    # (Not the partner row's lock: writers take it before the checkpoint row's, and `flush`'s caller holds it.)
    refresh(conn, loaded, partner_id, partner_repository.read_versions(conn, partner_id))
    return loaded.checkpoint_rows(before)


def _write_rows(conn: Connection, partner_id: int, rows: CheckpointRows) -> None:
    bucket_repository.save_buckets(conn, partner_id, rows.buckets, {})
    bucket_repository.save_seen_values(conn, partner_id, rows.seen)
    score_repository.add_rule_scores(conn, partner_id, rows.ledger, rows.ledger_at)
    score_repository.save_user_scores(
        conn,
        partner_id,
        [
            UserScoreRow(board, user_id, score, at, hidden)
            for board, user_id, score, at, hidden in rows.standings
        ],
    )


class CheckpointThread:
    """Writes, every `interval` seconds, a checkpoint for each partner state of the process holding changes its
    tables lack (a thread of `serve`); `stop` writes a last one."""

    def __init__(self, engine: Engine, live: "LiveState", *, interval: float) -> None:
        self._engine = engine
        self._live = live
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gameservices-checkpoint", daemon=True)

    def start(self) -> "CheckpointThread":
        """Begin writing checkpoints."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop, after a last checkpoint of every partner (a restart then has nothing to apply)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)

    def run_once(self) -> list[Written]:
        """Write a checkpoint for every partner state holding changes its tables lack."""
        written = []
        for partner_id, state in self._live.pending_states():
            try:
                # Beside the partner's writers and readers: on SQLite this process's writers queue behind it on
                # the process's writer turn (`storage.database.write_transaction`); PostgreSQL's go on.
                done = write_checkpoint(self._engine, state, partner_id)
            except Exception:  # retried at the next interval; the log holds everything meanwhile
                _log.warning("checkpoint of partner %s failed", partner_id, exc_info=True)
                continue
            if done is not None:
                written.append(done)
        return written

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._run_once_logged()
        self._run_once_logged()

    def _run_once_logged(self) -> None:
        # Whatever fails, the thread lives on to the next interval (and to the last checkpoint at its stop).
        try:
            self.run_once()
        except Exception:
            _log.exception("writing checkpoints failed; trying again at the next interval")
