"""Recomputing one game object from the retained log under its current rules: the replay that collects what the
tables need (buckets, ledger, standings), and the body of the `gameObject.rebuild` entry.

The entry carries the recomputed buckets and standings of the object, not only its id: a process catching up
or a replay then applies it without reading the log again (a recomputation from the entries before it would
cost every follower a whole replay), and the result cannot depend on anything but the entry.
"""

from typing import Any

from gameservices.domain.awards import MANUAL_RULE_ID, Evaluation, rule_scores
from gameservices.domain.events import NormalizedEvent
from gameservices.projection.simulate import ObjectReplay
from gameservices.projection.state import PartnerState

Ledger = dict[tuple[str, str, str], float]


class Recomputation(ObjectReplay):
    """A replay of the object under pinned rules that also sums its ledger (per object, rule and user)."""

    def __init__(self, object_id: str, **options: Any) -> None:
        super().__init__(object_id, **options)
        self.ledger: Ledger = {}
        self.awards_by_user: dict[str, list[Any]] = {}

    def awarded(self, events: list[NormalizedEvent], evaluation: Evaluation) -> None:
        mine = [award for award in evaluation.awards if award.game_object_id == self.object_id]
        for key, points in rule_scores(mine).items():
            self.ledger[key] = self.ledger.get(key, 0.0) + points
        for award in mine:
            if award.distributed:
                self.awards_by_user.setdefault(award.user_id, []).append(award)

    def set_by_hand(self, user_id: str, delta: float, at: float) -> None:
        # As `userScore.set` books it: the difference under the rule id `manual`.
        key = (self.object_id, MANUAL_RULE_ID, user_id)
        self.ledger[key] = self.ledger.get(key, 0.0) + delta

    def cleared(self, user_id: str | None) -> None:
        if user_id is None:
            self.ledger.clear()
            self.awards_by_user.clear()
            return
        self.ledger = {key: points for key, points in self.ledger.items() if key[2] != user_id}
        self.awards_by_user.pop(user_id, None)


def entry_details(state: PartnerState, object_id: str) -> dict[str, Any]:
    """The `gameObject.rebuild` body of a recomputed object (its state holds only the object's rules)."""
    buckets = [
        [
            rule_id,
            list(values),
            bucket.user_id,
            bucket.progress,
            bucket.awarded,
            None if bucket.seen is None else sorted(bucket.seen),
            bucket.completed_at,
            bucket.updated_at,
        ]
        for (rule_id, values), bucket in sorted(state.buckets.items(), key=lambda item: item[0])
    ]
    return {
        "gameObjectId": object_id,
        "buckets": buckets,
        "standings": _standings(state, object_id),
        "periods": period_standings(state, object_id),
    }


def period_standings(state: PartnerState, object_id: str) -> list[list[Any]]:
    """The standings of a recurring leaderboard's periods: [period index, userId, score, reachedAt, hidden] rows
    (none for any other game object)."""
    prefix = f"{object_id}#"
    rows = []
    for key in sorted(key for key in state.boards if key.startswith(prefix)):
        index = int(key[len(prefix) :])
        rows += [[index, *row] for row in _standings(state, key)]
    return rows


def _standings(state: PartnerState, key: str) -> list[list[Any]]:
    board = state.boards.get(key)
    return [
        [user_id, standing.score, standing.reached_at, standing.hidden]
        for user_id, standing in sorted(
            board.standings() if board is not None else (), key=lambda item: item[0]
        )
    ]
