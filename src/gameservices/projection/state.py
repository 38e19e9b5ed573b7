"""One partner's state in memory: its compiled rule set, game objects and rules, every bucket, the boards the
ranks come from, the entries' kept durations and the closed periods of its recurring leaderboards, as of one
event log entry (`log_seq`).

The state is changed only through its methods: a writer applying what it committed (`apply_scored`,
`note_durations`, `set_hidden`, `advance`), the projection applying log entries (`projection.apply`:
`put_rule`, `put_object`, `drop_board`…), a load (`projection.loading`), each holding the state's lock
exclusively (`projection.locks`). Everything else reads it, through read-only views, while holding that lock
shared (`LiveState.reading` / `viewing`): readers of one partner read at once."""

import threading
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from gameservices.domain.awards import Award
from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.domain.engine import RuleSet
from gameservices.domain.entries import entries_lacking_duration, entry_key, seen_duration
from gameservices.domain.events import NormalizedEvent
from gameservices.domain.periods import ClosedPeriod, Timeline, board_key, event_ms
from gameservices.projection.board import Board, UserStanding
from gameservices.projection.group_commit import GroupCommit
from gameservices.projection.locks import SharedLock
from gameservices.projection.pending import CheckpointRows, Pending, RuleScoreKey
from gameservices.projection.periods import PeriodBoards
from gameservices.services.catalog import rule_set as rule_set_service
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord

__all__ = ["MAX_PAGES", "PartnerState"]

# Rendered answers a state keeps for polled reads (`PartnerState.keep_page`).
MAX_PAGES = 1_000


class PartnerState(PeriodBoards):
    """What one partner's requests need in memory; guarded by its locks."""

    def __init__(self) -> None:
        self._state_version = -1
        self._rules_version = -1
        # Counts the times the state was forgotten or loaded: a writer reads the state without its lock (its writer
        # turn keeps other writers away), and scores again when a reload began meanwhile (`generation`).
        self._generation = 0
        # The seq of the newest event log entry the state reflects (-1: not loaded).
        self._log_seq = -1
        # Each entry's last seen duration (dynamic caps read it when an event has none), as of `log_seq`.
        self._entry_durations: dict[str, float] = {}
        # A private state serves one transaction only (a large import, a replay): its changes apply at once.
        self._private = False
        # Whether this state's `events` writes leave the derived tables to a checkpoint (`projection.checkpoint`).
        self._defers_tables = False
        # What the state holds beyond the derived tables (changes of `events` entries after their checkpoint).
        self._pending = Pending()
        self._rule_set: RuleSet | None = None
        # The partner's game objects and rules as of `rules_version` (every change of one bumps it), by id.
        self._objects: dict[str, GameObjectRecord] = {}
        self._rules: dict[str, RuleRecord] = {}
        # Rendered answers of polled reads (`page`, `keep_page`), valid while (state_version, rules_version)
        # equals `_pages_version`.
        self._pages: dict[tuple[object, ...], bytes] = {}
        self._pages_version = (-1, -1)
        self._buckets: dict[BucketKey, Bucket] = {}
        # The keys of each user's buckets, for per-user questions (progress, badges, certificates).
        self._user_buckets: dict[str, set[BucketKey]] = {}
        # Boards by key: a game object's id (all-time), or "<id>#<index>" for a period of a recurring leaderboard.
        self._boards: dict[str, Board] = {}
        # The closed periods of recurring leaderboards, oldest first, and their timelines (built when asked for).
        self._period_closes: dict[str, list[ClosedPeriod]] = {}
        self._timelines: dict[str, Timeline | None] = {}
        # Writers of the partner take turns (`write_lock`); readers share `lock`, and only wait while something
        # changes the state (holding it exclusively).
        self.write_lock = threading.Lock()
        self.lock = SharedLock()
        # Write calls waiting to be committed together (`LiveState.grouped`).
        self.commits = GroupCommit()

    # What the state reflects.

    @property
    def state_version(self) -> int:
        """The partner's state version the scores and buckets reflect (-1: not loaded)."""
        return self._state_version

    @property
    def rules_version(self) -> int:
        """The partner's rules version the rule set reflects (-1: not loaded)."""
        return self._rules_version

    @property
    def log_seq(self) -> int:
        """The seq of the newest event log entry the state reflects (-1: not loaded)."""
        return self._log_seq

    @property
    def private(self) -> bool:
        """Whether the state serves one transaction only (its changes are not shared with other requests)."""
        return self._private

    @property
    def defers_tables(self) -> bool:
        """Whether a writer of `events` leaves the derived tables to a checkpoint (a live state of a process that
        runs one); private states write them at once."""
        return self._defers_tables and not self._private

    @property
    def has_pending(self) -> bool:
        """Whether the state holds changes its derived tables may lack, or entries newer than the checkpoint it
        knows of (a checkpoint then moves past them)."""
        return bool(self._pending) or self._log_seq > self._pending.through

    @property
    def generation(self) -> int:
        """Moves whenever the state is forgotten or loaded: what was read from it without its lock while it did
        not move was read from one whole state."""
        return self._generation

    @property
    def rule_set(self) -> RuleSet | None:
        """The compiled rule set (None: not loaded)."""
        return self._rule_set

    # Read-only views of what it holds.

    @property
    def objects(self) -> Mapping[str, GameObjectRecord]:
        """The partner's game objects by id."""
        return MappingProxyType(self._objects)

    @property
    def rules(self) -> Mapping[str, RuleRecord]:
        """The partner's rules by id."""
        return MappingProxyType(self._rules)

    @property
    def boards(self) -> Mapping[str, Board]:
        """The boards by key (a game object's id, or "<id>#<index>" for a period)."""
        return MappingProxyType(self._boards)

    @property
    def user_buckets(self) -> Mapping[str, set[BucketKey]]:
        """The keys of each user's buckets."""
        return MappingProxyType(self._user_buckets)

    @property
    def entry_durations(self) -> Mapping[str, float]:
        """Each entry's last seen duration."""
        return MappingProxyType(self._entry_durations)

    @property
    def period_closes(self) -> Mapping[str, list[ClosedPeriod]]:
        """The closed periods of each recurring leaderboard, oldest first."""
        return MappingProxyType(self._period_closes)

    @property
    def buckets(self) -> Mapping[BucketKey, Bucket]:
        """Every bucket by key."""
        return MappingProxyType(self._buckets)

    def get_bucket(self, key: BucketKey) -> Bucket | None:
        """The stored bucket for a key (the engine's BucketSource)."""
        return self._buckets.get(key)

    @property
    def bucket_dict(self) -> Mapping[BucketKey, Bucket]:
        """The buckets `get_bucket` reads: the engine looks them up in it directly."""
        return self._buckets

    def board(self, game_object_id: str) -> Board:
        """The board of a game object (empty when nobody scored)."""
        found = self._boards.get(game_object_id)
        if found is None:
            found = self._boards[game_object_id] = Board()
        return found

    # A writer's own changes, applied after its transaction committed.

    def store_buckets(self, changed: Mapping[BucketKey, Bucket]) -> None:
        """Take in changed buckets (after their transaction committed)."""
        buckets, user_buckets = self._buckets, self._user_buckets
        for key, bucket in changed.items():
            # A key the state holds is in its user's set already.
            if bucket.user_id is not None and key not in buckets:
                found = user_buckets.get(bucket.user_id)
                if found is None:
                    user_buckets[bucket.user_id] = {key}
                else:
                    found.add(key)
        buckets.update(changed)

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
            current = self._boards.get(key)
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
        self,
        changed: Mapping[BucketKey, Bucket],
        standings: dict[tuple[str, str], UserStanding],
        *,
        entry: int | None = None,
        ledgers: Sequence[tuple[tuple[int, int], dict[RuleScoreKey, float]]] = (),
        at: float = 0.0,
    ) -> None:
        """Take in an evaluation's changed buckets and new standings (idempotent). `entry`: the seq of the
        (newest) `events` entry they come from, when the derived tables may not hold them yet; then `ledgers`,
        the ledger deltas by the (first, last) seqs of the entries they come from, are kept for the checkpoint
        too."""
        with self.lock.exclusive():
            try:
                if entry is not None:
                    self._pending.record(entry, changed, self._buckets, standings, ledgers, at)
                self.store_buckets(changed)
                for (object_id, user_id), standing in standings.items():
                    self.board(object_id).put(user_id, standing)
            except BaseException:
                self.invalidate()  # half taken in: applying the entry again would count its half twice
                raise

    def set_hidden(self, changed: Iterable[tuple[str, str, UserStanding]]) -> None:
        """Hide or show users (a change of their profile or of a policy decided it, and committed): each (game
        object id, user id, standing as the tables hold it) keeps the score the state holds, if any, and takes
        the given standing's hidden flag."""
        with self.lock.exclusive():
            for object_id, user_id, stored in changed:
                board = self.board(object_id)
                known = board.standing(user_id) or stored
                board.put(user_id, UserStanding(known.score, known.reached_at, stored.hidden))

    def kept_durations(self, events: list[NormalizedEvent]) -> dict[str, float]:
        """The kept durations of the entries of events without one, when some rule's cap may need them (a copy:
        the engine updates it as the batch goes)."""
        if self._rule_set is None or not self._rule_set.reads_entry_duration:
            return {}
        kept = self._entry_durations
        return {key: kept[key] for key in entries_lacking_duration(events) if key in kept}

    def moves_durations(self, events: list[NormalizedEvent]) -> bool:
        """Whether these events change an entry's kept duration that some rule's cap reads."""
        if self._rule_set is None or not self._rule_set.reads_entry_duration:
            return False
        kept = self._entry_durations
        for event in events:
            duration = seen_duration(event.fields)
            if (
                duration is not None
                and (key := entry_key(event.fields)) is not None
                and kept.get(key) != duration
            ):
                return True
        return False

    def note_durations(self, events: list[NormalizedEvent]) -> None:
        """Keep the durations these (applied) events record for their entries."""
        with self.lock.exclusive():
            for event in events:
                duration = seen_duration(event.fields)
                if duration is not None and (key := entry_key(event.fields)) is not None:
                    self._entry_durations[key] = duration

    def advance(self, seq: int, state_version: int) -> None:
        """Mark the state as reflecting log entry `seq`, written by this process and applied in place; a
        state that did not reflect the entry before it stays behind, versions and all (it catches up on its next
        read)."""
        with self.lock.exclusive():
            if self._log_seq == seq - 1:
                self._log_seq = seq
                self._state_version = max(self._state_version, state_version)

    def mark_stale(self) -> None:
        """Forget which log entry the state reflects: the next read loads the partner again (after a change
        applied in a way catch-up cannot follow, such as a large import's private state)."""
        with self.lock.exclusive():
            self._state_version = -1

    def defer_tables(self) -> None:
        """Leave the derived tables of `events` writes to a checkpoint (the live states of a process that runs
        one: `LiveState(checkpoints=True)`)."""
        self._defers_tables = True

    def checkpoint_rows(self, after: int) -> CheckpointRows:
        """What tables at checkpoint `after` lack of this state (as of its `log_seq`). Call with the lock held
        (shared will do)."""
        boards = self._boards

        def standing_of(board: str, user_id: str) -> tuple[float, float, bool] | None:
            found = boards.get(board)
            standing = found.standing(user_id) if found is not None else None
            return None if standing is None else (standing.score, standing.reached_at, standing.hidden)

        return self._pending.rows(after, self._log_seq, self._buckets, standing_of)

    def written_through(self, seq: int) -> None:
        """The derived tables now reflect the log up to `seq` (a checkpoint committed)."""
        with self.lock.exclusive():
            self._pending.written_through(seq)

    def make_private(self) -> None:
        """Serve one transaction only (a large import, a replay, a simulation): changes apply at once."""
        self._private = True

    # What log entries do (`projection.apply`) and what loads set (`projection.loading`).

    def reached(self, seq: int) -> None:
        """The state now reflects every log entry up to `seq` (applied by catch-up or a replay)."""
        self._log_seq = seq

    def set_versions(self, state_version: int, rules_version: int) -> None:
        """The partner's versions the state now reflects."""
        self._state_version, self._rules_version = state_version, rules_version

    def put_rule(self, record: RuleRecord) -> None:
        """A rule created or changed (compile again with `recompile` before events need it)."""
        self._rules[record.id] = record

    def drop_rule(self, rule_id: str) -> None:
        """A rule deleted."""
        self._rules.pop(rule_id, None)

    def set_rules(self, rules: Mapping[str, RuleRecord]) -> None:
        """Replace every rule (a simulation's pinned or edited rules)."""
        self._rules = dict(rules)

    def put_object(self, record: GameObjectRecord) -> None:
        """A game object created or changed (its recurrence may have changed: timelines are built again)."""
        self._objects[record.id] = record
        self.forget_timelines()

    def rule_ids_of(self, object_id: str) -> list[str]:
        """The ids of a game object's rules."""
        return [rule.id for rule in self._rules.values() if rule.game_object_id == object_id]

    def drop_object(self, object_id: str) -> None:
        """A game object deleted, with its rules."""
        for rule_id in self.rule_ids_of(object_id):
            del self._rules[rule_id]
        self._objects.pop(object_id, None)

    def drop_board(self, key: str) -> None:
        """Forget a board (its game object was cleared or deleted)."""
        self._boards.pop(key, None)

    def set_entry_duration(self, entry_id: str, duration: float | None) -> None:
        """An entry's kept duration (None: forgotten)."""
        if duration is None:
            self._entry_durations.pop(entry_id, None)
        else:
            self._entry_durations[entry_id] = duration

    def add_closed_period(self, object_id: str, period: ClosedPeriod) -> None:
        """A period of a recurring leaderboard closed (the newest)."""
        self._period_closes[object_id] = [*self._period_closes.get(object_id, ()), period]
        self.forget_timelines()

    def drop_closed_periods(self, object_id: str) -> None:
        """Forget a leaderboard's closed periods (it was deleted)."""
        self._period_closes.pop(object_id, None)
        self.forget_timelines()

    def load_rule_set(self, conn: Connection, partner_id: int) -> None:
        """Load the partner's game objects and rules, and compile them."""
        self._generation += 1
        self._objects, self._rules = rule_set_service.load_records(conn, partner_id)
        self.recompile()

    def recompile(self) -> None:
        """Compile the rule set again after game objects or rules changed."""
        self._timelines = {}
        self._rule_set = rule_set_service.compile_rule_set(self._objects, self._rules)

    def load(
        self,
        *,
        buckets: Mapping[BucketKey, Bucket],
        boards: dict[str, Board],
        entry_durations: dict[str, float],
        period_closes: dict[str, list[ClosedPeriod]],
    ) -> None:
        """Replace the scores, buckets, durations and closed periods by ones loaded from the tables."""
        self._generation += 1
        self._pending = Pending()
        self._buckets, self._user_buckets = {}, {}
        self.store_buckets(buckets)
        self._boards = boards
        self._entry_durations = entry_durations
        self._period_closes = period_closes
        self.forget_timelines()

    def invalidate(self) -> None:
        """Forget everything: the next read loads the partner again. Its kept pages go too: a rolled-back write
        may have moved the state to versions that later writes reach again with other scores."""
        with self.lock.exclusive():
            self._generation += 1
            self._state_version = self._rules_version = self._log_seq = -1
            self._rule_set = None
            self._pending = Pending()
            self._pages, self._pages_version = {}, (-1, -1)

    def rename_buckets(self, moves: Mapping[str, str]) -> None:
        """Move the buckets of each rule id in `moves` to the rule id it names, all at once (a bucket already
        under a target id that is not itself moved is replaced)."""
        if not moves:
            return
        moved = {key: bucket for key, bucket in self._buckets.items() if key[0] in moves}
        for key, bucket in moved.items():
            del self._buckets[key]
            if bucket.user_id is not None:
                self._user_buckets.get(bucket.user_id, set()).discard(key)
        self.store_buckets({(moves[rule_id], values): bucket for (rule_id, values), bucket in moved.items()})

    def forget_buckets(self, rule_ids: Iterable[str], user_id: str | None = None) -> None:
        """Drop the buckets of these rules and of their sub-rules (only one user's, when given)."""
        owned = set(rule_ids)
        prefixes = tuple(f"{rule_id}/" for rule_id in owned)
        keys = list(self._user_buckets.get(user_id, ()) if user_id is not None else self._buckets)
        for key in keys:
            if key[0] in owned or key[0].startswith(prefixes):
                bucket = self._buckets.pop(key, None)
                if bucket is not None and bucket.user_id is not None:
                    self._user_buckets.get(bucket.user_id, set()).discard(key)

    # Rendered answers of polled reads.

    def page(self, key: tuple[object, ...]) -> bytes | None:
        """A polled read's answer rendered for this state as it is now (None: not rendered yet, or since
        rendered for an older state). Call with the lock held (shared will do)."""
        if self._pages_version != (self._state_version, self._rules_version):
            return None
        return self._pages.get(key)

    def keep_page(self, key: tuple[object, ...], page: bytes) -> None:
        """Keep a polled read's answer rendered for this state as it is now (at most MAX_PAGES of them; older
        states' answers are dropped). Call with the lock held: readers sharing it may keep pages at once, all
        rendered for this same state."""
        version = (self._state_version, self._rules_version)
        if self._pages_version != version:
            self._pages, self._pages_version = {}, version
        if len(self._pages) < MAX_PAGES:
            self._pages[key] = page
