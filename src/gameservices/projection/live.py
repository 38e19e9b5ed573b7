"""The live state of every partner a process serves: a projection of each partner's event log, loaded from the
tables with the log seq they reflect, then kept current by applying the log entries it lacks
(`projection.catch_up`), or loaded again when an entry cannot be applied in memory (`projection.loading`). The
partner's versions in the database tell when it is behind.

Requests ask `LiveState` for a partner's state: `reading` / `viewing` for reads (the state held steady: its lock
shared with other readers), `writing` or `grouped` for writes (the partner's writer turn; `grouped` commits
waiting calls together)."""

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from gameservices.projection import checkpoint
from gameservices.projection.loading import behind, refresh
from gameservices.projection.state import PartnerState
from gameservices.storage import partners as partner_repository
from gameservices.storage.database import Connection, Engine, read_transaction, write_transaction

_log = logging.getLogger(__name__)

__all__ = ["LiveState"]

Call = TypeVar("Call")
Result = TypeVar("Result")


class LiveState:
    """The live state of every partner this process served."""

    def __init__(self, *, checkpoints: bool = False) -> None:
        """`checkpoints`: the process runs a checkpoint thread (`projection.checkpoint.CheckpointThread`), so `events` writes
        leave the derived tables to it."""
        self._partners: dict[int, PartnerState] = {}
        self._guard = threading.Lock()
        self._checkpoints = checkpoints

    def partner(self, partner_id: int) -> PartnerState:
        """The (possibly not yet loaded) state of a partner."""
        with self._guard:
            state = self._partners.get(partner_id)
            if state is None:
                state = self._partners[partner_id] = PartnerState()
                if self._checkpoints:
                    state.defer_tables()
            return state

    def forget(self, partner_id: int) -> None:
        """Drop a partner's state; the next request reloads it."""
        with self._guard:
            self._partners.pop(partner_id, None)

    @contextmanager
    def writing(self, partner_id: int) -> Iterator[PartnerState]:
        """Hold the partner's writer turn (around a write transaction and the update of the state after it)."""
        state = self.partner(partner_id)
        with state.write_lock:
            yield state

    @contextmanager
    def transaction(self, engine: Engine, partner_id: int) -> Iterator[tuple[PartnerState, Connection]]:
        """A write of the partner that may change its derived tables or append entries other than events: its
        writer turn, then a write transaction that has locked the partner row, brought the state up to it and
        the tables up to the state (`projection.checkpoint.prepare_write`); commits when the block ends."""
        with self.writing(partner_id) as state, write_transaction(engine) as conn:
            checkpoint.prepare_write(conn, state, partner_id)
            yield state, conn

    def pending_states(self) -> list[tuple[int, PartnerState]]:
        """The loaded partner states holding changes their derived tables may lack (for the checkpoint)."""
        with self._guard:
            states = list(self._partners.items())
        return [(partner_id, state) for partner_id, state in states if state.has_pending]

    def grouped(
        self,
        partner_id: int,
        call: Call,
        run: Callable[[PartnerState, list[Call]], Sequence[Result]],
    ) -> Result:
        """Run a write call together with the partner's other waiting calls; return its own result.

        `run` gets the calls in arrival order and returns one result per call, within one transaction that it
        commits (and whose after-commit updates it applies) before returning; it runs in the writer turn
        (`projection.group_commit`).
        """
        state = self.partner(partner_id)
        return state.commits.run(call, lambda calls: run(state, calls), state.write_lock)

    def follow(self, engine: Engine, partner_ids: Iterable[int]) -> None:
        """Catch the states of these partners up with their logs now (after a wake-up from another process),
        so that the next request finds them current; partners this process has not loaded are left alone."""
        for partner_id in partner_ids:
            with self._guard:
                state = self._partners.get(partner_id)
            if state is None or state.rule_set is None:
                continue
            try:
                with read_transaction(engine) as conn, self.reading(conn, partner_id):
                    pass
            except Exception:  # the next request does it again; the other partners are caught up meanwhile
                _log.warning("catching up partner %s after a wake-up failed", partner_id, exc_info=True)

    def followed(self) -> dict[int, int]:
        """The log seq each loaded partner's state reflects (what a poller compares with the database)."""
        with self._guard:
            states = list(self._partners.items())
        return {partner_id: state.log_seq for partner_id, state in states if state.rule_set is not None}

    def warm_up(self, conn: Connection, partner_ids: Iterable[int]) -> None:
        """Load these partners' states now (at server start), so that no request pays for the load."""
        for partner_id in partner_ids:
            with self.reading(conn, partner_id):
                pass

    @contextmanager
    def reading(self, conn: Connection, partner_id: int) -> Iterator[PartnerState]:
        """The partner's state, at least as fresh as the versions the transaction of `conn` reads, held steady
        while the block reads it: other readers read at once; a state behind is brought up to the database and
        read under an exclusive hold."""
        state = self.partner(partner_id)
        versions = partner_repository.read_versions(conn, partner_id)
        with state.lock.shared():
            # (A state past those versions was moved on by a writer since the transaction began: it has them.)
            if not behind(state, versions):
                yield state
                return
        with state.lock.exclusive():
            refresh(conn, state, partner_id, versions)
            yield state

    def cached_page(
        self, partner_id: int, versions: tuple[int, int], key: tuple[object, ...]
    ) -> bytes | None:
        """A page rendered for the partner's current state (see `PartnerState.page`) when that state is at
        least as fresh as `versions`; never waits: None when a writer is applying changes right now, when the
        state is behind, or when no such page was rendered."""
        state = self.partner(partner_id)
        if not state.lock.acquire_shared(blocking=False):
            return None
        try:
            return None if behind(state, versions) else state.page(key)
        finally:
            state.lock.release_shared()

    @contextmanager
    def viewing(self, engine: Engine, partner_id: int, versions: tuple[int, int]) -> Iterator[PartnerState]:
        """The partner's state at least as fresh as `versions` (read from the database when the request was
        authenticated), held steady while the block reads it; no database access when it already is.

        A state behind those versions is usually one whose in-process writer has committed and is applying
        its changes right now: waiting for the writer's turn to end is far cheaper than reloading.
        """
        state = self.partner(partner_id)
        if behind(state, versions):
            with state.write_lock:
                pass
        with state.lock.shared():
            if not behind(state, versions):
                yield state
                return
        # The connection before the state's lock: readers hold theirs while they wait for the lock, and waiting for
        # one of the pool's connections while holding the lock would keep them all waiting (the pool's timeout).
        with read_transaction(engine) as conn, state.lock.exclusive():
            if behind(state, versions):
                refresh(conn, state, partner_id, partner_repository.read_versions(conn, partner_id))
            yield state
