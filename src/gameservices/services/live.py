"""The live state of each partner, held in memory: the compiled rule set, every bucket and every score with its
rank index. It is a projection of the partner's event log: loaded from the tables with the log seq they
reflect, then kept current by applying the log entries it lacks (`projection.catch_up`), or loaded again when
an entry cannot be applied in memory. The partner's versions in the database tell when it is behind."""

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from gameservices.domain.awards import Award
from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.domain.engine import RuleSet, collector_paused
from gameservices.domain.entries import entries_lacking_duration, entry_key, seen_duration
from gameservices.domain.events import NormalizedEvent
from gameservices.domain.periods import ClosedPeriod, Timeline, board_key, event_ms
from gameservices.projection.board import Board, UserStanding
from gameservices.projection.catch_up import catch_up
from gameservices.projection.periods import PeriodBoards
from gameservices.ranking import MemoryRankIndex, rank_key, rank_keys
from gameservices.services import rule_set as rule_set_service
from gameservices.storage import buckets as bucket_repository
from gameservices.storage import entries as entry_repository
from gameservices.storage import event_log
from gameservices.storage import partners as partner_repository
from gameservices.storage import periods as period_repository
from gameservices.storage import scores as score_repository
from gameservices.storage.database import Connection, Engine, on_rollback, read_transaction
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord

__all__ = ["Board", "LiveState", "PartnerState", "UserStanding", "refresh"]


# Rendered answers a state keeps for polled reads (`PartnerState.keep_page`).
MAX_PAGES = 1_000
Call = TypeVar("Call")
Result = TypeVar("Result")


@dataclass(slots=True)
class _Pending(Generic[Call]):
    """A call waiting for its group: its outcome is set by the thread that ran the group."""

    call: Call
    done: bool = False
    result: Any = None
    error: BaseException | None = None


class PartnerState(PeriodBoards):
    """What one partner's requests need in memory; guarded by its locks."""

    def __init__(self) -> None:
        self.state_version = -1
        self.rules_version = -1
        # The seq of the newest event log entry the state reflects (-1: not loaded).
        self.log_seq = -1
        # Each entry's last seen duration (dynamic caps read it when an event has none), as of `log_seq`.
        self.entry_durations: dict[str, float] = {}
        # A private state serves one transaction only (a large import): its changes apply at once, not on commit.
        self.private = False
        self.rule_set: RuleSet | None = None
        # The partner's game objects and rules as of `rules_version` (every change of one bumps it), by id.
        self.objects: dict[str, GameObjectRecord] = {}
        self.rules: dict[str, RuleRecord] = {}
        # Rendered answers of polled reads (`page`, `keep_page`), valid while (state_version, rules_version)
        # equals `_pages_version`.
        self._pages: dict[tuple[object, ...], bytes] = {}
        self._pages_version = (-1, -1)
        self.buckets: dict[BucketKey, Bucket] = {}
        # The keys of each user's buckets, for per-user questions (progress, badges, certificates).
        self.user_buckets: dict[str, set[BucketKey]] = {}
        # Boards by key: a game object's id (all-time), or "<id>#<index>" for a period of a recurring leaderboard.
        self.boards: dict[str, Board] = {}
        # The closed periods of recurring leaderboards, oldest first, and their timelines (built when asked for).
        self.period_closes: dict[str, list[ClosedPeriod]] = {}
        self._timelines: dict[str, Timeline | None] = {}
        # Writers of the partner take turns; readers only wait while a writer applies its changes.
        self.write_lock = threading.Lock()
        self.read_lock = threading.RLock()
        # Calls waiting to be written, run together by one of them while no other group runs (group commit).
        self.pending: list[_Pending[Any]] = []
        self.leading = False
        self.grouping = threading.Condition()

    def get_bucket(self, key: BucketKey) -> Bucket | None:
        """The stored bucket for a key (the engine's BucketSource)."""
        return self.buckets.get(key)

    @property
    def bucket_dict(self) -> dict[BucketKey, Bucket]:
        """The dict `get_bucket` reads: the engine looks buckets up in it directly."""
        return self.buckets

    def store_buckets(self, changed: dict[BucketKey, Bucket]) -> None:
        """Take in changed buckets (after their transaction committed)."""
        self.buckets.update(changed)
        for key, bucket in changed.items():
            if bucket.user_id is not None:
                self.user_buckets.setdefault(bucket.user_id, set()).add(key)

    def standings_after(
        self, awards: list[Award], timelines: dict[str, Timeline] | None = None
    ) -> dict[tuple[str, str], UserStanding]:
        """The new standing of every (board, user) whose score the awards move (not yet applied): the game
        object's all-time board and, on a recurring leaderboard, the board of the period the award counts in
        (`timelines` overrides the state's, for a close being written)."""
        standings: dict[tuple[str, str], UserStanding] = {}
        for award in awards:
            if not award.distributed:
                continue
            object_id = award.game_object_id
            self._move(standings, object_id, award)
            timeline = timelines.get(object_id) if timelines else None
            if timeline is None:
                timeline = self.timeline(object_id)
            if timeline is not None:
                self._move(
                    standings, board_key(object_id, timeline.assign(event_ms(award.event_time))), award
                )
        return standings

    def _move(self, standings: dict[tuple[str, str], UserStanding], key: str, award: Award) -> None:
        user_key = (key, award.user_id)
        standing = standings.get(user_key)
        if standing is None:
            current = self.boards.get(key)
            known = current.standing(award.user_id) if current is not None else None
            standing = (
                UserStanding(known.score, known.reached_at, known.hidden)
                if known
                else UserStanding(0.0, 0.0, False)
            )
            standings[user_key] = standing
        if award.points:
            standing.score += award.points
            standing.reached_at = award.event_time
        standing.hidden = award.hidden

    def apply_scored(
        self, changed: dict[BucketKey, Bucket], standings: dict[tuple[str, str], UserStanding]
    ) -> None:
        """Take in an evaluation's changed buckets and new standings (idempotent)."""
        with self.read_lock:
            self.store_buckets(changed)
            for (object_id, user_id), standing in standings.items():
                self.board(object_id).put(user_id, standing)

    def kept_durations(self, events: list[NormalizedEvent]) -> dict[str, float]:
        """The kept durations of the entries of events without one, when some rule's cap may need them (a copy:
        the engine updates it as the batch goes)."""
        if self.rule_set is None or not self.rule_set.reads_entry_duration:
            return {}
        kept = self.entry_durations
        return {key: kept[key] for key in entries_lacking_duration(events) if key in kept}

    def note_durations(self, events: list[NormalizedEvent]) -> None:
        """Keep the durations these (applied) events record for their entries."""
        with self.read_lock:
            for event in events:
                duration = seen_duration(event.fields)
                if duration is not None and (key := entry_key(event.fields)) is not None:
                    self.entry_durations[key] = duration

    def page(self, key: tuple[object, ...]) -> bytes | None:
        """A polled read's answer rendered for this state as it is now (None: not rendered yet, or since
        rendered for an older state). Call with the read lock held."""
        if self._pages_version != (self.state_version, self.rules_version):
            return None
        return self._pages.get(key)

    def keep_page(self, key: tuple[object, ...], page: bytes) -> None:
        """Keep a polled read's answer rendered for this state as it is now (at most MAX_PAGES of them; older
        states' answers are dropped). Call with the read lock held."""
        version = (self.state_version, self.rules_version)
        if self._pages_version != version:
            self._pages, self._pages_version = {}, version
        if len(self._pages) < MAX_PAGES:
            self._pages[key] = page

    def mark_stale(self) -> None:
        """Forget which log entry the state reflects: the next read loads the partner again (after a change
        applied in a way catch-up cannot follow, such as a large import's private state)."""
        with self.read_lock:
            self.state_version = -1

    def advance(self, seq: int, state_version: int) -> None:
        """Mark the state as reflecting log entry `seq`, written by this process and applied in place; a
        state that did not reflect the entry before it stays behind (it catches up on its next read)."""
        with self.read_lock:
            if self.log_seq == seq - 1:
                self.log_seq = seq
            self.state_version = max(self.state_version, state_version)

    def load_rule_set(self, conn: Connection, partner_id: int) -> None:
        """Load the partner's game objects and rules, and compile them."""
        self.objects, self.rules = rule_set_service.load_records(conn, partner_id)
        self._timelines = {}
        self.rule_set = rule_set_service.compile_rule_set(self.objects, self.rules)

    def recompile(self) -> None:
        """Compile the rule set again after `objects` or `rules` changed."""
        self._timelines = {}
        self.rule_set = rule_set_service.compile_rule_set(self.objects, self.rules)

    def forget_buckets(self, rule_ids: Iterable[str], user_id: str | None = None) -> None:
        """Drop the buckets of these rules and of their sub-rules (only one user's, when given)."""
        owned = set(rule_ids)
        prefixes = tuple(f"{rule_id}/" for rule_id in owned)
        keys = list(self.user_buckets.get(user_id, ()) if user_id is not None else self.buckets)
        for key in keys:
            if key[0] in owned or key[0].startswith(prefixes):
                bucket = self.buckets.pop(key, None)
                if bucket is not None and bucket.user_id is not None:
                    self.user_buckets.get(bucket.user_id, set()).discard(key)

    def board(self, game_object_id: str) -> Board:
        """The board of a game object (empty when nobody scored)."""
        found = self.boards.get(game_object_id)
        if found is None:
            found = self.boards[game_object_id] = Board()
        return found


class LiveState:
    """The live state of every partner this process served."""

    def __init__(self) -> None:
        self._partners: dict[int, PartnerState] = {}
        self._guard = threading.Lock()

    def partner(self, partner_id: int) -> PartnerState:
        """The (possibly not yet loaded) state of a partner."""
        with self._guard:
            state = self._partners.get(partner_id)
            if state is None:
                state = self._partners[partner_id] = PartnerState()
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

    def grouped(
        self,
        partner_id: int,
        call: Call,
        run: Callable[[PartnerState, list[Call]], Sequence[Result]],
    ) -> Result:
        """Run a write call together with the partner's other waiting calls; return its own result.

        `run` gets the calls in arrival order and returns one result per call, within one transaction that it
        commits (and whose after-commit updates it applies) before returning; it runs in the writer turn. While
        one group commits, the calls arriving meanwhile queue up and the next group takes them all: one durable
        commit for many calls, and still no call returns before its own data is committed. A failing group is
        run again one call at a time, so a bad call fails alone.
        """
        state = self.partner(partner_id)
        pending: _Pending[Call] = _Pending(call)
        group: list[_Pending[Call]] = []
        with state.grouping:
            state.pending.append(pending)
            while state.leading and not pending.done:
                state.grouping.wait()
            if not pending.done:  # no group runs now: this call leads the next one, with all that waits
                state.leading = True
                group, state.pending = state.pending, []
        if group:
            try:
                with state.write_lock:
                    _run_group(state, group, run)
            finally:
                with state.grouping:
                    for member in group:
                        if not member.done:
                            member.error, member.done = (
                                RuntimeError("the group of calls was interrupted"),
                                True,
                            )
                    state.leading = False
                    state.grouping.notify_all()
        if pending.error is not None:
            raise pending.error
        result: Result = pending.result
        return result

    def follow(self, engine: Engine, partner_ids: Iterable[int]) -> None:
        """Catch the states of these partners up with their logs now (after a wake-up from another process),
        so that the next request finds them current; partners this process has not loaded are left alone."""
        for partner_id in partner_ids:
            with self._guard:
                state = self._partners.get(partner_id)
            if state is None or state.rule_set is None:
                continue
            with read_transaction(engine) as conn, self.reading(conn, partner_id):
                pass

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
        """The partner's fresh state, held steady while the block reads it."""
        state = self.partner(partner_id)
        with state.read_lock:
            refresh(conn, state, partner_id, partner_repository.read_versions(conn, partner_id))
            yield state

    def cached_page(
        self, partner_id: int, versions: tuple[int, int], key: tuple[object, ...]
    ) -> bytes | None:
        """A page rendered for the partner's current state (see `PartnerState.page`) when that state is at
        least as fresh as `versions`; never waits: None when a writer is applying changes right now, when the
        state is behind, or when no such page was rendered."""
        state = self.partner(partner_id)
        if not state.read_lock.acquire(blocking=False):
            return None
        try:
            return None if _behind(state, versions) else state.page(key)
        finally:
            state.read_lock.release()

    @contextmanager
    def viewing(self, engine: Engine, partner_id: int, versions: tuple[int, int]) -> Iterator[PartnerState]:
        """The partner's state at least as fresh as `versions` (read from the database when the request was
        authenticated), held steady while the block reads it; no database access when it already is.

        A state behind those versions is usually one whose in-process writer has committed and is applying
        its changes right now: waiting for the writer's turn to end is far cheaper than reloading.
        """
        state = self.partner(partner_id)
        if _behind(state, versions):
            with state.write_lock:
                pass
        with state.read_lock:
            if _behind(state, versions):
                with read_transaction(engine) as conn:
                    refresh(conn, state, partner_id, partner_repository.read_versions(conn, partner_id))
            yield state


def _run_group(
    state: PartnerState,
    group: list[_Pending[Call]],
    run: Callable[[PartnerState, list[Call]], Sequence[Result]],
) -> None:
    try:
        results = run(state, [pending.call for pending in group])
    except Exception as error:
        if len(group) == 1:
            group[0].error, group[0].done = error, True
            return
        for pending in group:
            _run_group(state, [pending], run)
        return
    for pending, result in zip(group, results, strict=True):
        pending.result, pending.done = result, True


def _behind(state: PartnerState, versions: tuple[int, int]) -> bool:
    # Versions only grow, and this process's own changes move the state along with them: a state at or past
    # versions read a moment ago is at least as fresh as they are.
    return state.rule_set is None or versions[0] > state.state_version or versions[1] > state.rules_version


def _invalidate(state: PartnerState) -> None:
    with state.read_lock:
        state.state_version = state.rules_version = state.log_seq = -1
        state.rule_set = None


def refresh(conn: Connection, state: PartnerState, partner_id: int, versions: tuple[int, int]) -> None:
    """Bring the state up to the database's: apply the log entries it lacks when it can, else reload what the
    versions say has changed. `versions` must have been read in the transaction of `conn`."""
    state_version, rules_version = versions
    rules_stale = rules_version != state.rules_version or state.rule_set is None
    state_stale = state_version != state.state_version
    if not (rules_stale or state_stale):
        return
    # Loaded within a write transaction, the state holds its changes: forget it if they are rolled back.
    on_rollback(conn, lambda: _invalidate(state))
    with state.read_lock:
        if state.rule_set is not None and state.log_seq >= 0 and catch_up(conn, state, partner_id):
            state.state_version, state.rules_version = state_version, rules_version
            return
    if rules_stale:
        state.load_rule_set(conn, partner_id)
        state.rules_version = rules_version
    if state_stale or state.log_seq < 0:
        # A load creates millions of long-lived objects and no cycles: collector passes over them are waste.
        with state.read_lock, collector_paused():
            state.buckets = {}
            state.user_buckets = {}
            state.store_buckets(bucket_repository.load_buckets(conn, partner_id))
            state.boards = _load_boards(conn, partner_id)
            state.entry_durations = entry_repository.all_entry_durations(conn, partner_id)
            state.period_closes = period_repository.closed_periods(conn, partner_id)
            state.forget_timelines()
            state.state_version = state_version
            state.log_seq = event_log.last_seq(conn, partner_id)
    else:  # only rule changes happened since the state was loaded
        state.log_seq = event_log.last_seq(conn, partner_id)


def _load_boards(conn: Connection, partner_id: int) -> dict[str, Board]:
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
