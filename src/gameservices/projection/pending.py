"""What a partner's state holds beyond its derived tables: which buckets and standings the `events` entries it
applied since the tables' checkpoint changed (with the seq of the newest entry that changed each), the ledger points
those entries added (per entry, or per evaluation of a load's many entries) and the countUnique values they added.
A checkpoint (`projection.checkpoint`) writes them.

Buckets and standings are written as they are in the state (the newest value wins, so writing one twice does no
harm); ledger points are added, so each entry's are written exactly once: only entries after the checkpoint the
tables hold are written, under the checkpoint row's lock (a checkpoint among entries whose points are held together
raises `Straddled`)."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from gameservices.domain.awards import Award
from gameservices.domain.buckets import Bucket, BucketKey

__all__ = ["CheckpointRows", "Pending", "Straddled", "ledger_of"]

# (game object id, rule id, user id)
RuleScoreKey = tuple[str, str, str]
# A board's standing of a user: (score, reachedAt, hidden), or None.
StandingLookup = Callable[[str, str], tuple[float, float, bool] | None]


def ledger_of(awards: Iterable[Award]) -> dict[RuleScoreKey, float]:
    """The ledger deltas of awards, per (game object, rule, user)."""
    ledger: dict[RuleScoreKey, float] = {}
    for award in awards:
        if award.distributed:
            key = (award.game_object_id, award.rule_id, award.user_id)
            ledger[key] = ledger.get(key, 0.0) + award.points
    return ledger


@dataclass
class CheckpointRows:
    """What a checkpoint writes: buckets (their countUnique values apart), standings, summed ledger points."""

    seq: int
    buckets: dict[BucketKey, Bucket] = field(default_factory=dict)
    seen: list[tuple[BucketKey, str]] = field(default_factory=list)
    standings: list[tuple[str, str, float, float, bool]] = field(default_factory=list)
    ledger: dict[RuleScoreKey, float] = field(default_factory=dict)
    ledger_at: float = 0.0

    def __len__(self) -> int:
        return len(self.buckets) + len(self.seen) + len(self.standings) + len(self.ledger)


class Straddled(Exception):
    """The tables' checkpoint lies among entries whose ledger deltas the state holds together: what the tables
    lack of them cannot be told apart (the state is loaded again)."""


class Pending:
    """The changes of applied `events` entries not yet known to be in the tables (guarded by the state's lock)."""

    def __init__(self) -> None:
        self._buckets: dict[BucketKey, int] = {}
        self._standings: dict[tuple[str, str], int] = {}
        # Ledger deltas (and their time) by the (first, last) seqs of the entries they come from: one entry each
        # when written or caught up, the entries of one evaluation together when a load applied them. An entry
        # applied twice (by its writer after its commit and by a catch-up that came first) is kept once, so its
        # points are added once.
        self._ledgers: dict[tuple[int, int], tuple[dict[RuleScoreKey, float], float]] = {}
        # countUnique values gained, by the seq of the newest entry among those that gained them (added if
        # missing: values kept twice are harmless).
        self._seen: list[tuple[int, list[tuple[BucketKey, str]]]] = []
        # The newest checkpoint the state knows the tables to have (entries after it that changed nothing still
        # want a checkpoint: retention keeps every entry after it).
        self.through = 0

    def __bool__(self) -> bool:
        return bool(self._buckets or self._standings or self._ledgers or self._seen)

    def record(
        self,
        seq: int,
        changed: Mapping[BucketKey, Bucket],
        previous: Mapping[BucketKey, Bucket],
        standings: Iterable[tuple[str, str]],
        ledgers: Iterable[tuple[tuple[int, int], dict[RuleScoreKey, float]]],
        at: float,
    ) -> None:
        """`events` entries up to `seq` applied: the buckets they changed (`previous`: the state's before them),
        the standings they moved, each entry's ledger deltas. Call before the changed buckets are stored."""
        seen: list[tuple[BucketKey, str]] = []
        marks = self._buckets
        for key, bucket in changed.items():
            marks[key] = seq
            if bucket.seen:
                before = previous.get(key)
                # (A set difference: a bucket may have counted many values before, and gained few.)
                gained = (
                    bucket.seen.difference(before.seen) if before is not None and before.seen else bucket.seen
                )
                seen.extend((key, value) for value in gained)
        for board_user in standings:
            self._standings[board_user] = seq
        for seqs, ledger in ledgers:
            if ledger:
                self._ledgers[seqs] = (ledger, at)
        if seen:
            self._seen.append((seq, seen))

    def written_through(self, seq: int) -> None:
        """The tables now reflect every entry up to `seq`: forget what those entries changed (a key changed again
        by a later entry stays)."""
        self.through = max(self.through, seq)
        if self._buckets:
            self._buckets = {key: mark for key, mark in self._buckets.items() if mark > seq}
        if self._standings:
            self._standings = {key: mark for key, mark in self._standings.items() if mark > seq}
        if self._ledgers:
            self._ledgers = {seqs: kept for seqs, kept in self._ledgers.items() if seqs[1] > seq}
        self._seen = [(mark, values) for mark, values in self._seen if mark > seq]

    def rows(
        self,
        after: int,
        seq: int,
        buckets: Mapping[BucketKey, Bucket],
        standing_of: StandingLookup,
    ) -> CheckpointRows:
        """What to write to bring tables at `after` to `seq` (the state's seq): the current value of each key
        changed by an entry after `after`, and the ledger and countUnique values of those entries."""
        rows = CheckpointRows(seq)
        for key, mark in self._buckets.items():
            if mark > after:
                bucket = buckets.get(key)
                if bucket is not None:  # (a key dropped later was dropped by an entry the tables reflect)
                    rows.buckets[key] = Bucket(
                        bucket.user_id,
                        progress=bucket.progress,
                        awarded=bucket.awarded,
                        completed_at=bucket.completed_at,
                        updated_at=bucket.updated_at,
                    )
        for (board, user_id), mark in self._standings.items():
            if mark > after:
                found = standing_of(board, user_id)
                if found is not None:
                    rows.standings.append((board, user_id, *found))
        for (first, last), (ledger, at) in self._ledgers.items():
            if last <= after:
                continue
            if first <= after:
                raise Straddled(
                    f"the tables' checkpoint {after} lies among entries {first}-{last} applied together"
                )
            for ledger_key, points in ledger.items():
                rows.ledger[ledger_key] = rows.ledger.get(ledger_key, 0.0) + points
            rows.ledger_at = max(rows.ledger_at, at)
        for mark, values in self._seen:
            if mark > after:
                rows.seen.extend(values)
        return rows
