"""The live state of each partner, held in memory: the compiled rule set, every bucket and every score with its
rank index. The database is the source of truth: the state is loaded from it, and reloaded whenever the
partner's versions in the database show that another process (or an operation that does not update the state
in place) changed it."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.domain.engine import RuleSet
from gameservices.ranking import MemoryRankIndex, RankIndex
from gameservices.services import rule_set as rule_set_service
from gameservices.storage import engine_state as state_repository
from gameservices.storage import scores as score_repository
from gameservices.storage.database import Connection


@dataclass(slots=True)
class UserStanding:
    """A user's total on a game object, when they reached it, and whether their policy hides them."""

    score: float
    reached_at: float
    hidden: bool


@dataclass(slots=True)
class Board:
    """One game object's scores: every scored user, and the rank index of the displayed ones."""

    users: dict[str, UserStanding] = field(default_factory=dict)
    index: RankIndex = field(default_factory=MemoryRankIndex)

    def put(self, user_id: str, standing: UserStanding) -> None:
        """Record a user's standing and keep the index to the displayed users."""
        self.users[user_id] = standing
        if standing.hidden:
            self.index.remove(user_id)
        else:
            self.index.set(user_id, standing.score, standing.reached_at)


class PartnerState:
    """What one partner's requests need in memory; guarded by its locks."""

    def __init__(self) -> None:
        self.state_version = -1
        self.rules_version = -1
        self.rule_set: RuleSet | None = None
        self.buckets: dict[BucketKey, Bucket] = {}
        # The keys of each user's buckets, for per-user questions (progress, badges, certificates).
        self.user_buckets: dict[str, set[BucketKey]] = {}
        self.boards: dict[str, Board] = {}
        # Writers of the partner take turns; readers only wait while a writer applies its changes.
        self.write_lock = threading.Lock()
        self.read_lock = threading.RLock()

    def get_bucket(self, key: BucketKey) -> Bucket | None:
        """The stored bucket for a key (the engine's BucketSource)."""
        return self.buckets.get(key)

    def store_buckets(self, changed: dict[BucketKey, Bucket]) -> None:
        """Take in changed buckets (after their transaction committed)."""
        self.buckets.update(changed)
        for key, bucket in changed.items():
            if bucket.user_id is not None:
                self.user_buckets.setdefault(bucket.user_id, set()).add(key)

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

    @contextmanager
    def reading(self, conn: Connection, partner_id: int) -> Iterator[PartnerState]:
        """The partner's fresh state, held steady while the block reads it."""
        state = self.partner(partner_id)
        with state.read_lock:
            refresh(conn, state, partner_id, state_repository.read_versions(conn, partner_id))
            yield state


def refresh(conn: Connection, state: PartnerState, partner_id: int, versions: tuple[int, int]) -> None:
    """Reload what the database says has changed since the state was loaded."""
    state_version, rules_version = versions
    if rules_version != state.rules_version or state.rule_set is None:
        state.rule_set = rule_set_service.build_rule_set(conn, partner_id)
        state.rules_version = rules_version
    if state_version != state.state_version:
        with state.read_lock:
            state.buckets = {}
            state.user_buckets = {}
            state.store_buckets(state_repository.load_buckets(conn, partner_id))
            state.boards = _load_boards(conn, partner_id)
            state.state_version = state_version


def _load_boards(conn: Connection, partner_id: int) -> dict[str, Board]:
    grouped: dict[str, list[tuple[str, UserStanding]]] = {}
    for row in score_repository.load_user_scores(conn, partner_id):
        grouped.setdefault(row.game_object_id, []).append(
            (row.user_id, UserStanding(row.score, row.reached_at, row.hidden))
        )
    boards: dict[str, Board] = {}
    for object_id, standings in grouped.items():
        board = Board(users=dict(standings))
        board.index.bulk_load(
            (user_id, standing.score, standing.reached_at)
            for user_id, standing in standings
            if not standing.hidden
        )
        boards[object_id] = board
    return boards
