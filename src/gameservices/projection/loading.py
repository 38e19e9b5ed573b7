"""Bringing a partner's state up to the database's: apply the log entries it lacks when it can (`catch_up`),
else load what the partner's versions say has changed from the tables, with the log seq they reflect."""

from gameservices.domain.engine import collector_paused
from gameservices.projection.board import Board, UserStanding
from gameservices.projection.catch_up import apply_after_checkpoint, catch_up
from gameservices.projection.state import PartnerState
from gameservices.ranking import MemoryRankIndex, rank_key, rank_keys
from gameservices.storage import buckets as bucket_repository
from gameservices.storage import checkpoints, event_log
from gameservices.storage import entries as entry_repository
from gameservices.storage import periods as period_repository
from gameservices.storage import scores as score_repository
from gameservices.storage.database import (
    Connection,
    after_commit,
    in_snapshot,
    on_rollback,
    transaction_notes,
)

__all__ = ["behind", "load_boards", "refresh"]


def behind(state: PartnerState, versions: tuple[int, int]) -> bool:
    """Whether the state is older than these partner versions (read from the database a moment ago)."""
    # Versions only grow, and this process's own changes move the state along with them: a state at or past
    # versions read a moment ago is at least as fresh as they are.
    return state.rule_set is None or versions[0] > state.state_version or versions[1] > state.rules_version


def refresh(conn: Connection, state: PartnerState, partner_id: int, versions: tuple[int, int]) -> None:
    """Bring the state up to the database's: apply the log entries it lacks when it can, else reload what the
    versions say has changed. `versions` must have been read in the transaction of `conn`; a state already at or
    past them is left as it is. Holds the state's lock exclusively while it changes the state (the caller may hold
    it so already, never shared); within a write transaction that appended entries of the partner, until that
    transaction has ended (`_hold_until_end`)."""
    if not behind(state, versions):
        return
    # Loaded within a write transaction, the state holds its changes: forget it if they are rolled back.
    on_rollback(conn, state.invalidate)
    if not state.private and event_log.appended_in(conn, partner_id):
        _hold_until_end(conn, state, partner_id)
    with state.lock.exclusive():
        # (Another thread may have brought it up while this one waited.)
        if not behind(state, versions) or _bring_up(conn, state, partner_id, versions):
            return
    # The state is to be loaded from the tables, which a PostgreSQL write transaction does holding the checkpoint
    # row. A checkpoint holds that row while it waits to read the state: the row is taken with the state let go
    # (the order a checkpoint takes them in), then the state loaded.
    checkpoints.lock(conn, partner_id)
    with state.lock.exclusive():
        if behind(state, versions):
            _bring_up(conn, state, partner_id, versions)


def _hold_until_end(conn: Connection, state: PartnerState, partner_id: int) -> None:
    """Hold the state exclusively until the write transaction of `conn` has committed, or rolled back and the state
    been forgotten: it is about to take in entries that transaction appended (a profile change's own `userProfile`
    event, read back by its visibility refresh), which no reader may see before they are committed, and no
    checkpoint write (its rows are read under a shared hold)."""
    held = transaction_notes(conn).setdefault(_HELD_STATES, set())
    if id(state) in held:
        return
    if not checkpoints.locked(conn, partner_id):
        # Writers take the checkpoint row before the state's lock, as a checkpoint does (it reads the state's
        # rows holding that row): waiting for it while holding the state would deadlock with one.
        checkpoints.lock(conn, partner_id)
    state.lock.acquire_exclusive()
    held.add(id(state))
    # (Registered after `state.invalidate` above: a rolled-back state is forgotten before readers get in.)
    after_commit(conn, state.lock.release_exclusive)
    on_rollback(conn, state.lock.release_exclusive)


# The transaction note holding the ids of the states `_hold_until_end` holds.
_HELD_STATES = "held_states"


def _bring_up(conn: Connection, state: PartnerState, partner_id: int, versions: tuple[int, int]) -> bool:
    """Bring the state up to the versions; False (and the state not loaded) when it must be loaded within a
    PostgreSQL write transaction that does not hold the partner's checkpoint row yet (the caller takes it first)."""
    state_version, rules_version = versions
    if state.rule_set is not None and state.log_seq >= 0 and catch_up(conn, state, partner_id):
        state.set_versions(state_version, rules_version)
        return True
    # (After the catch-up: one failing midway may have forgotten the whole state, its rule set too.)
    rules_stale = rules_version != state.rules_version or state.rule_set is None
    state_stale = state_version != state.state_version
    if rules_stale:
        state.load_rule_set(conn, partner_id)
        state.set_versions(state.state_version, rules_version)
    if state_stale or state.log_seq < 0:
        if not in_snapshot(conn) and not checkpoints.locked(conn, partner_id):
            # The tables and their checkpoint are read in several statements: other processes' checkpoints must
            # not move them in between (the lock order of writers: the partner row, then the checkpoint row).
            return False
        # A load creates millions of long-lived objects and no cycles: collector passes over them are waste.
        with collector_paused():
            state.load(
                buckets=bucket_repository.load_buckets(conn, partner_id),
                boards=load_boards(conn, partner_id),
                entry_durations=entry_repository.all_entry_durations(conn, partner_id),
                period_closes=period_repository.closed_periods(conn, partner_id),
            )
            # The tables reflect the log up to their checkpoint; the `events` entries after it are applied.
            tables_at = checkpoints.read(conn, partner_id)
            state.reached(tables_at)
            state.written_through(tables_at)
            apply_after_checkpoint(conn, state, partner_id)
            state.set_versions(state_version, state.rules_version)
        return True
    state.reached(event_log.last_seq(conn, partner_id))
    return True


def load_boards(conn: Connection, partner_id: int) -> dict[str, Board]:
    """Every board of the partner, from the score table (rank indexes built in one pass)."""
    boards: dict[str, Board] = {}
    current: str | None = None
    keys: list[bytes] = []  # rank keys of the current object's displayed users
    hidden: dict[str, UserStanding] = {}

    def finish() -> None:
        if current is not None:
            index = MemoryRankIndex()
            index.load_keys(keys)
            boards[current] = Board(index=index, hidden=hidden)

    # Chunks come ordered by game object; most hold one object and no hidden user, and go through whole.
    for chunk in score_repository.user_score_chunks(conn, partner_id):
        object_ids, user_ids, scores, reached_ats, hidden_flags = zip(*chunk, strict=True)
        if object_ids[0] == object_ids[-1] == current and not any(hidden_flags):
            keys += rank_keys(user_ids, scores, reached_ats)
            continue
        for object_id, user_id, score, reached_at, is_hidden in chunk:
            if object_id != current:
                finish()
                current, keys, hidden = object_id, [], {}
            if is_hidden:
                hidden[user_id] = UserStanding(score, reached_at, True)
            else:
                keys.append(rank_key(user_id, score, reached_at))
    finish()
    return boards
