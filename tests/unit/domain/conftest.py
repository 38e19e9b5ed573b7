"""A small harness for engine tests: game objects, rules as the API sends them, events, scores."""

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from gameservices.domain.awards import Award, Completion, Evaluation, user_scores
from gameservices.domain.buckets import Bucket, DictBucketSource
from gameservices.domain.engine import GameObjectScope, RuleSet, evaluate
from gameservices.domain.entries import entry_key, seen_duration
from gameservices.domain.events import normalize_event
from gameservices.domain.policies import ParticipationPolicy, UserFacts, parse_participation_policy
from gameservices.domain.rules import Rule, parse_badge_rule, parse_rule

T0 = datetime(2025, 6, 1, 10, 0, tzinfo=UTC).timestamp()


def at(text: str) -> float:
    """Epoch seconds of an ISO 8601 time."""
    return datetime.fromisoformat(text).timestamp()


class Profiles:
    """An in-memory ProfileLookup."""

    def __init__(self) -> None:
        self.by_user: dict[str, UserFacts] = {}

    def facts(self, user_id: str) -> UserFacts | None:
        """Return the facts stored for user_id."""
        return self.by_user.get(user_id)


class Game:
    """Game objects, rules and the bucket store of one partner, fed events batch by batch.

    Events default to eventTime T0 (2025-06-01T10:00:00Z).
    """

    T0 = T0
    at = staticmethod(at)

    def __init__(self) -> None:
        self.scopes: dict[str, GameObjectScope] = {}
        self.rules: list[Rule] = []
        self.store = DictBucketSource()
        self.profiles = Profiles()
        self.awards: list[Award] = []
        self.completions: list[Completion] = []
        self.skipped: list[tuple[int, str, str]] = []
        # The last seen duration of each entry, carried from batch to batch as the service keeps it.
        self.entry_durations: dict[str, float] = {}

    def game_object(
        self,
        object_id: str = "lb",
        *,
        kind: str = "leaderboard",
        enabled: bool = True,
        start: str | None = None,
        end: str | None = None,
        virtual_event_ids: tuple[str, ...] = (),
        policy: Mapping[str, object] | None = None,
    ) -> None:
        """Add a game object."""
        parsed: ParticipationPolicy = parse_participation_policy(policy)
        self.scopes[object_id] = GameObjectScope(
            object_id,
            kind,
            enabled,
            None if start is None else at(start),
            None if end is None else at(end),
            frozenset(virtual_event_ids),
            parsed,
        )

    def rule(self, rule_id: str, body: dict[str, object], *, object_id: str = "lb") -> Rule:
        """Add a rule given as a `rule/create` body."""
        rule = parse_rule(body, rule_id=rule_id, game_object_id=object_id)
        self.rules.append(rule)
        return rule

    def badge_rule(self, rule_id: str, body: dict[str, object], *, object_id: str = "badge") -> Rule:
        """Add a rule given inline in `badge/create`."""
        rule = parse_badge_rule(body, rule_id=rule_id, game_object_id=object_id)
        self.rules.append(rule)
        return rule

    def profile(self, user_id: str, *, email: str | None = None, groups: tuple[str, ...] = ()) -> None:
        """Give a user a profile."""
        self.profiles.by_user[user_id] = UserFacts(email, frozenset(groups))

    def send(self, *raws: Mapping[str, object]) -> Evaluation:
        """Evaluate one batch of raw events and keep what changed."""
        events = [normalize_event({"eventTime": T0, **raw}, received_at=T0) for raw in raws]
        rule_set = RuleSet.build(self.scopes.values(), self.rules)
        outcome = evaluate(
            events,
            rule_set=rule_set,
            buckets=self.store,
            profiles=self.profiles,
            entry_durations=self.entry_durations,
        )
        self.store.apply(outcome.changed)
        self.awards.extend(outcome.awards)
        self.completions.extend(outcome.completions)
        self.skipped.extend(outcome.skipped)
        for event in events:
            duration, entry = seen_duration(event.fields), entry_key(event.fields)
            if duration is not None and entry is not None:
                self.entry_durations[entry] = duration
        return outcome

    def score(self, user_id: str, object_id: str = "lb") -> float:
        """A user's score on a game object (sum of distributed awards)."""
        return user_scores(self.awards).get((object_id, user_id), 0.0)

    def bucket(self, rule_id: str, *group: str) -> Bucket | None:
        """The stored bucket of a rule for groupBy values."""
        return self.store.get_bucket((rule_id, tuple(group)))


@pytest.fixture
def game() -> Game:
    """A partner with one enabled leaderboard `lb` and no rules yet."""
    game = Game()
    game.game_object("lb")
    return game
