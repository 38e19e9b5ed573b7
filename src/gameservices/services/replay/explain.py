"""``userScore/explain``: every award behind a user's score on a game object, with its event, rule and running
total, found by replaying the object over the retained log (`projection.simulate`, the object's rules as the log
changed them: only its rules are evaluated)."""

from dataclasses import dataclass
from typing import Any

from gameservices.domain.awards import MANUAL_RULE_ID, Evaluation
from gameservices.domain.events import NormalizedEvent
from gameservices.domain.timefmt import format_ms
from gameservices.errors import InvalidInput
from gameservices.projection.simulate import ObjectReplay, TooLarge
from gameservices.services.standings.user_score import number
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord


@dataclass(frozen=True, slots=True)
class Line:
    """One award: the event that earned it and the rule that gave it."""

    event_id: str | None
    event_type: str
    event_time: float
    rule_id: str
    rule_name: str | None
    points: float


class _Explanation(ObjectReplay):
    """A replay that keeps the user's awards on the object since its scores were last cleared."""

    def __init__(self, object_id: str, user_id: str, **options: Any) -> None:
        super().__init__(object_id, **options)
        self.user_id = user_id
        self.lines: list[Line] = []
        self._conn: Connection | None = None
        self._partner_id = 0

    def explain(self, conn: Connection, partner_id: int) -> list[Line]:
        self._conn, self._partner_id = conn, partner_id
        self.run(conn, partner_id)
        return self.lines

    def awarded(self, events: list[NormalizedEvent], evaluation: Evaluation) -> None:
        for award in evaluation.awards:
            if award.distributed and award.user_id == self.user_id and award.game_object_id == self.object_id:
                event = events[award.event_index]
                rule = self.state.rules.get(award.rule_id.split("/", 1)[0])
                self.lines.append(
                    Line(
                        event.event_id,
                        event.event_type,
                        award.event_time,
                        award.rule_id,
                        None if rule is None else rule.name,
                        award.points,
                    )
                )

    def set_by_hand(self, user_id: str, delta: float, at: float) -> None:
        if user_id == self.user_id:  # no award explains it: a line of its own, under the ledger's rule id
            self.lines.append(Line(None, "userScore.set", at, MANUAL_RULE_ID, None, delta))

    def cleared(self, user_id: str | None) -> None:
        if user_id is None or user_id == self.user_id:
            self.lines = []

    def rebuilt(self, seq: int) -> None:
        # The rebuild recomputed the object under the rules it had then: the awards of that recomputation.
        assert self._conn is not None
        again = _Explanation(
            self.object_id,
            self.user_id,
            rules=dict(self.state.rules),
            until=seq,
            max_events=self.max_events - self.events,  # (one bound for the whole call: TooLarge past it)
        )
        self.lines = again.explain(self._conn, self._partner_id)
        self._count(again.events)


def explain(
    conn: Connection, *, partner_id: int, record: GameObjectRecord, user_id: str, offset: int, limit: int
) -> dict[str, Any]:
    """The user's awards on the object, newest first, each with the user's total after it."""
    try:
        lines = _Explanation(record.id, user_id).explain(conn, partner_id)
    except TooLarge as error:
        raise InvalidInput(f"The explanation is too large: {error}", code="EXPLAIN_TOO_LARGE") from error
    totals: list[float] = []
    total = 0.0
    for line in lines:
        total += line.points
        totals.append(total)
    newest_first = list(zip(lines, totals, strict=True))[::-1]
    return {
        "totalCount": len(lines),
        "objects": [
            {
                "eventId": line.event_id,
                "eventType": line.event_type,
                "eventTime": format_ms(round(line.event_time * 1000)),
                "ruleId": line.rule_id,
                "ruleName": line.rule_name,
                "points": number(line.points),
                "total": number(running),
            }
            for line, running in newest_first[offset : offset + limit]
        ],
    }
