"""The ledger (`user_rule_scores`: each user's points per rule on a game object), decided from a projection as its
log is replayed, so that `db replay --verify` compares it with the table too: the one derived table a checkpoint
adds to rather than overwrites, where an entry's points written twice or lost would show nowhere else.

The writer books on the ledger the distributed awards of every `events` entry (period closes' included) and, for
a score set by hand, the difference from the standing before it under the rule id `manual`; clearing an object's
scores or deleting the object drops its ledger, deleting a user's score drops that user's; a rebuild writes a
ledger of its own, which its entry carries (`services.replay.rebuild`). A rebuild entry written before entries
carried it leaves the object's ledger unknown to the replay until its scores are cleared."""

from collections.abc import Mapping
from typing import Any

from gameservices.domain.awards import MANUAL_RULE_ID, Evaluation
from gameservices.domain.events import NormalizedEvent
from gameservices.projection import entries
from gameservices.projection.pending import RuleScoreKey, ledger_of
from gameservices.projection.state import PartnerState

__all__ = ["LEDGER_DIGITS", "ReplayedLedger", "comparable"]

# Points are compared rounded to this many decimals: the writer adds an entry's points, or a load's many entries'
# points summed, in another order than a replay does.
LEDGER_DIGITS = 6


class ReplayedLedger:
    """Follows one replayed state: call `before` and `after` around every non-`events` entry, and `observe` with
    every `events` entry's evaluation once applied (`Applier.observe`), before anything that reads the ledger
    (`projection.certificates`: a certificate's progress)."""

    def __init__(self, state: PartnerState) -> None:
        self._state = state
        # game object id -> user id -> rule id -> points
        self._objects: dict[str, dict[str, dict[str, float]]] = {}
        # Objects rebuilt by an entry that does not carry the ledger the rebuild wrote.
        self.unknown: set[str] = set()

    @property
    def points(self) -> dict[RuleScoreKey, float]:
        """The whole ledger the log says the tables hold, per (game object, rule, user)."""
        return {
            (object_id, rule_id, user_id): points
            for object_id, users in self._objects.items()
            for user_id, rules in users.items()
            for rule_id, points in rules.items()
        }

    def of(self, object_id: str) -> Mapping[str, Mapping[str, float]]:
        """One game object's ledger: user id -> rule id -> points."""
        return self._objects.get(object_id, {})

    def observe(self, events: list[NormalizedEvent], evaluation: Evaluation) -> None:
        """An `events` entry applied: book its distributed awards."""
        for (object_id, rule_id, user_id), delta in ledger_of(evaluation.awards).items():
            self._add(object_id, rule_id, user_id, delta)

    def before(self, kind: str, details: Mapping[str, Any]) -> None:
        """A non-`events` entry is about to be applied (a score set by hand books its difference from the
        standing before it)."""
        if kind != entries.SCORE_SET:
            return
        object_id, user_id = details["gameObjectId"], details["userId"]
        board = self._state.boards.get(object_id)
        known = board.standing(user_id) if board is not None else None
        self._add(object_id, MANUAL_RULE_ID, user_id, details["score"] - (known.score if known else 0.0))

    def after(self, kind: str, details: Mapping[str, Any]) -> None:
        """A non-`events` entry was applied."""
        if kind in (entries.SCORES_CLEARED, entries.GAME_OBJECT_DELETE, entries.GAME_OBJECT_REBUILD):
            object_id = details["gameObjectId"]
            self._objects.pop(object_id, None)
            self.unknown.discard(object_id)
            if kind == entries.GAME_OBJECT_REBUILD:
                if "ledger" not in details:
                    self.unknown.add(object_id)
                    return
                for rule_id, user_id, points in details["ledger"]:
                    self._add(object_id, rule_id, user_id, points)
        elif kind == entries.SCORE_DELETED:
            self._objects.get(details["gameObjectId"], {}).pop(details["userId"], None)

    def _add(self, object_id: str, rule_id: str, user_id: str, points: float) -> None:
        rules = self._objects.setdefault(object_id, {}).setdefault(user_id, {})
        rules[rule_id] = rules.get(rule_id, 0.0) + points


def comparable(ledger: Mapping[RuleScoreKey, float], unknown: set[str]) -> dict[object, object]:
    """A ledger as compared: rounded, rows of no points left out (a score set by hand to what it was books 0),
    the objects of `unknown` left out."""
    rounded: dict[object, object] = {}
    for key, points in ledger.items():
        value = round(points, LEDGER_DIGITS)
        if value and key[0] not in unknown:
            rounded[key] = value
    return rounded
