"""A user's rule progress in one period of a recurring leaderboard (`userScore/ruleProgress` with `period`): found
by replaying the leaderboard over the retained log (`projection.simulate`), as `userScore/explain` finds awards,
so it follows the log's closes, clears, rebuilds and recurrence changes exactly (docs/periods.md).

The replay runs each events entry in parts whose events (the user's own, unless a rule scores another user than
the event's) all count in one period; what one part moves of the user's buckets of a rule is that rule's
progress in that period, the points it awards the user are the rule's score there, and a bucket first reaching
its goal in it completes the rule in that period. Over every period the parts add up to the all-time progress
and ledger (`userScore/ruleProgress` without `period`)."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gameservices.domain.awards import Evaluation
from gameservices.domain.buckets import BucketKey
from gameservices.domain.events import NormalizedEvent
from gameservices.domain.periods import Timeline, event_ms
from gameservices.domain.rules import progress_as_shown
from gameservices.domain.values import shown_number
from gameservices.errors import InvalidInput
from gameservices.projection.simulate import ObjectReplay, TooLarge
from gameservices.services.periods.recurrence import calendar_key
from gameservices.storage import rules as rule_repository
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord


@dataclass(slots=True)
class RuleInPeriod:
    """What a user did on one rule in one period."""

    progress: float = 0.0
    score: float = 0.0
    completed: bool = False


@dataclass(slots=True)
class _Tally:
    """Per (period index, rule id): the user's progress, points and completion."""

    rules: dict[tuple[int, str], RuleInPeriod] = field(default_factory=dict)

    def of(self, index: int, rule_id: str) -> RuleInPeriod:
        found = self.rules.get((index, rule_id))
        if found is None:
            found = self.rules[(index, rule_id)] = RuleInPeriod()
        return found


class PeriodProgress(ObjectReplay):
    """A replay of a recurring leaderboard that keeps one user's rule progress per period."""

    def __init__(self, object_id: str, user_id: str, **options: Any) -> None:
        super().__init__(object_id, **options)
        self.user_id = user_id
        self.tally = _Tally()
        self._conn: Connection | None = None
        self._partner_id = 0
        self._progress: dict[BucketKey, float] = {}  # the user's buckets' progress as last seen
        self._calendar: object = None  # the recurrence (and when it was set) the tally belongs to
        self._part_index: int | None = None  # the period of the part being run

    def collect(self, conn: Connection, partner_id: int) -> dict[tuple[int, str], RuleInPeriod]:
        """Replay the log; the user's progress per (period index, rule id)."""
        self._conn, self._partner_id = conn, partner_id
        self.run(conn, partner_id)
        self._follow_calendar()
        return self.tally.rules

    def apply_events(self, events: list[NormalizedEvent]) -> None:
        self._follow_calendar()
        timeline = self.state.timeline(self.object_id)
        if timeline is None:
            super().apply_events(events)
            return
        # Without a rule scoring another user than the event's, only the user's own events move their buckets:
        # only those need to count in one period per part (far fewer parts).
        overrides = any(rule.data.get("userIdOverride") for rule in self.state.rules.values())
        for index, part in _parts(events, timeline, None if overrides else self.user_id):
            self._part_index = index
            try:
                super().apply_events(part)
            finally:
                self._part_index = None

    def awarded(self, events: list[NormalizedEvent], evaluation: Evaluation) -> None:
        timeline = self.state.timeline(self.object_id)
        if timeline is None or not events:
            return
        index = self._part_index
        if index is None:  # a close's leaderboardPeriodEnd events (not run in parts): all at its end
            index = timeline.assign(event_ms(events[0].event_time))
        for key, bucket in evaluation.changed.items():
            if bucket.user_id == self.user_id:
                moved = bucket.progress - self._progress.get(key, 0.0)
                self._progress[key] = bucket.progress
                if moved:
                    self.tally.of(index, key[0]).progress += moved
        for award in evaluation.awards:
            if award.distributed and award.user_id == self.user_id and award.game_object_id == self.object_id:
                self.tally.of(
                    timeline.assign(event_ms(award.event_time)), award.rule_id
                ).score += award.points
        for completion in evaluation.completions:
            if completion.user_id == self.user_id and completion.game_object_id == self.object_id:
                self.tally.of(
                    timeline.assign(event_ms(completion.event_time)), completion.rule_id
                ).completed = True

    def cleared(self, user_id: str | None) -> None:
        if user_id is None or user_id == self.user_id:
            self.tally = _Tally()
            self._progress = {}

    def rebuilt(self, seq: int) -> None:
        # The rebuild recomputed the object under the rules it had then: the progress of that recomputation.
        assert self._conn is not None
        again = PeriodProgress(
            self.object_id,
            self.user_id,
            rules=dict(self.state.rules),
            until=seq,
            max_events=self.max_events - self.events,  # (one bound for the whole call: TooLarge past it)
        )
        self.tally.rules = again.collect(self._conn, self._partner_id)
        self._count(again.events)
        self._progress = {
            key: bucket.progress
            for key, bucket in self.state.buckets.items()
            if bucket.user_id == self.user_id
        }

    def _follow_calendar(self) -> None:
        # A new calendar (or none) drops the periods of the old one (`leaderboard.periodsReset`).
        calendar = calendar_key(self.state.objects.get(self.object_id))
        if calendar != self._calendar:
            self.tally, self._calendar = _Tally(), calendar


def _parts(
    events: list[NormalizedEvent], timeline: Timeline, user_id: str | None
) -> Iterator[tuple[int, list[NormalizedEvent]]]:
    """The events in order, in runs whose events count in the same period (only the events of `user_id`, when
    given: the others go with any run), each with that period."""
    part: list[NormalizedEvent] = []
    current: int | None = None
    for event in events:
        if user_id is None or event.user_id == user_id:
            index = timeline.assign(event_ms(event.event_time))
            if index != current:
                if part and current is not None:
                    yield current, part
                    part = []
                current = index
        part.append(event)
    if part:
        yield (current if current is not None else timeline.assign(event_ms(part[0].event_time))), part


def rule_progress_in_period(
    conn: Connection, *, partner_id: int, record: GameObjectRecord, user_id: str, index: int
) -> list[dict[str, Any]]:
    """The `userScore/ruleProgress` objects of a user in period `index` of a recurring leaderboard."""
    try:
        found = PeriodProgress(record.id, user_id).collect(conn, partner_id)
    except TooLarge as error:
        raise InvalidInput(
            f"The progress is too large to work out: {error}", code="PROGRESS_TOO_LARGE"
        ) from error
    objects = []
    for rule in rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id):
        mine = found.get((index, rule.id)) or RuleInPeriod()
        objects.append(
            {
                "ruleId": rule.id,
                "name": rule.name,
                "progress": shown_number(progress_as_shown(mine.progress, rule.data.get("reportFormat"))),
                "goal": rule.data.get("goal"),
                "score": shown_number(mine.score),
                "maxPoints": rule.data.get("maxPoints", "unlimited"),
                "completed": mine.completed,
            }
        )
    return objects
