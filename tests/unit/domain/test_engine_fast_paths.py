"""The specialised per-rule functions and the undo-log shortcut give exactly what the general path gives."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameservices.domain import accumulation
from gameservices.domain.awards import Evaluation
from gameservices.domain.buckets import Bucket, BucketKey, DictBucketSource
from gameservices.domain.engine import GameObjectScope, RuleSet, evaluate
from gameservices.domain.entries import entry_key, seen_duration
from gameservices.domain.events import NormalizedEvent, normalize_event
from gameservices.domain.rules import Rule, parse_rule


def _rule(rule_id: str, event_type: str, object_id: str = "lb", **fields: object) -> Rule:
    body: dict[str, Any] = {
        "name": rule_id,
        "mode": "distribute_points",
        "groupBy": "kuserId",
        "goal": "1",
        "points": "10",
        "maxPoints": "unlimited",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": event_type}],
        **fields,
    }
    return parse_rule(body, rule_id=rule_id, game_object_id=object_id)


# Every rule here has the shape the specialised functions take ("late" through its object's time window)
# except "field-points" (points read from the event) and "minutes" (a cap read from the event or its entry),
# which keep the general path next to them.
RULES = [
    _rule("count", "a", type="count", metric="x", goal="2", points="5", maxPoints="15"),
    _rule("sum-entry", "a", type="sum", metric="t", groupBy="kuserId,entryId", goal="60", maxPoints="30"),
    _rule(
        "sum-cat",
        "a",
        type="sum",
        metric="t",
        goal="45",
        points="1",
        conditions=[
            {"fact": "eventType", "operator": "equal", "value": "a"},
            {"fact": "categories", "operator": "in", "value": "c1,2,c3"},
        ],
    ),
    _rule("unique", "b", type="countUnique", metric="poll", goal="2", points="7", maxPoints="14"),
    _rule("unique-all", "b", type="countUnique", metric="kuserId", groupBy="", points="3", maxPoints="9"),
    _rule("bool", "c", type="countBoolean", metric="like", groupBy="kuserId,entryId", maxPoints="20"),
    _rule("hidden-sum", "c", type="sum", metric="t", goal="30", mode="dont_distribute_points"),
    _rule("field-points", "d", type="count", metric="x", points="bonus", maxPoints="40"),
    _rule("count-d", "d", type="count", metric="x", goal="3", points="2"),
    _rule("late", "a", "late", type="count", metric="x", points="1"),
    _rule("minutes", "c", type="sum", metric="t", goal="20", maxPoints="duration,inMinutesMultiplyByPoints"),
]
SCOPES = [GameObjectScope("lb", "leaderboard", True), GameObjectScope("late", "leaderboard", True)]
LATE_SCOPES = [SCOPES[0], GameObjectScope("late", "leaderboard", True, start=1_750_000_050.0)]

metric_values = st.one_of(
    st.integers(min_value=-5, max_value=90),
    st.floats(min_value=-5, max_value=90, allow_nan=False),
    st.sampled_from(["30", "abc", "", " 12", "-1", True, False, "1e60"]),
    st.none(),
)


@st.composite
def raw_events(draw: st.DrawFn) -> dict[str, object]:
    event: dict[str, object] = {
        "eventType": draw(st.sampled_from("abcd")),
        "userId": draw(st.sampled_from(["u1", "u2", "u3", "7"])),
        "eventTime": 1_750_000_000 + draw(st.integers(0, 100)),
        "entryId": draw(st.sampled_from(["e1", "e2", 3, 4.0, None])),
        "categories": draw(st.lists(st.sampled_from(["c1", "c2", "2", "02", "2.0", "x"]), max_size=3)),
        "poll": draw(st.sampled_from(["p1", "p2", 3, 3.0, None])),
        "like": draw(st.sampled_from([True, False, 1, 0, "true", "no", None])),
        "bonus": draw(st.sampled_from([5, "4", -1, "x", None])),
        "duration": draw(st.sampled_from([None, None, 0, 90, 300, "x"])),
    }
    for name in ("t", "x"):
        value = draw(metric_values)
        if value is not None:
            event[name] = value
    return {name: value for name, value in event.items() if value is not None}


@contextmanager
def general_path_only() -> Iterator[None]:
    """Build rule sets whose rules all take RuleRunner.run (no specialised functions)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accumulation.RuleStep, "plain_applier", lambda *args, **kwargs: None)
        yield


def _run(rule_set: RuleSet, events: list[NormalizedEvent], cut: int) -> list[Evaluation]:
    store = DictBucketSource()
    durations: dict[str, float] = {}
    outcomes = []
    for start in range(0, len(events), cut):
        batch = events[start : start + cut]
        outcome = evaluate(batch, rule_set=rule_set, buckets=store, entry_durations=durations)
        store.apply(outcome.changed)
        outcomes.append(outcome)
        for event in batch:
            duration, entry = seen_duration(event.fields), entry_key(event.fields)
            if duration is not None and entry is not None:
                durations[entry] = duration
    return outcomes


def _comparable(
    outcome: Evaluation,
) -> tuple[dict[BucketKey, tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]], object]:
    changed = {key: bucket.state() for key, bucket in outcome.changed.items()}
    return (
        changed,
        [tuple(a) for a in outcome.awards],
        [tuple(c) for c in outcome.completions],
        outcome.skipped,
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(raw_events(), max_size=60), st.integers(1, 25), st.booleans())
def test_specialised_rules_match_the_general_path(
    raws: list[dict[str, object]], cut: int, late: bool
) -> None:
    events = [normalize_event(raw, received_at=1_750_000_000.0) for raw in raws]
    scopes = LATE_SCOPES if late else SCOPES
    fast = _run(RuleSet.build(scopes, RULES), events, cut)
    with general_path_only():
        general = _run(RuleSet.build(scopes, RULES), events, cut)
    assert [_comparable(outcome) for outcome in fast] == [_comparable(outcome) for outcome in general]


def test_the_common_shapes_take_the_specialised_path() -> None:
    rule_set = RuleSet.build(SCOPES, RULES)
    kinds = {
        runner.step.rule_id: runner.apply == runner.run
        for event_type in "abcd"
        for runner in rule_set.runners_for(event_type, None).runners
    }
    assert kinds == {
        "count": False,
        "sum-entry": False,
        "sum-cat": False,
        "unique": False,
        "unique-all": False,
        "bool": False,
        "hidden-sum": False,
        "field-points": True,
        "count-d": False,
        "late": False,
        "minutes": True,
    }


def test_a_skip_after_specialised_rules_undoes_only_the_skipping_rule() -> None:
    rule_set = RuleSet.build(SCOPES, RULES)
    stored = Bucket("u1", progress=1.0, updated_at=5.0)
    store = DictBucketSource({("count", ("u1",)): stored})
    raws: list[dict[str, object]] = [
        {"eventType": "a", "userId": "u1", "t": 30, "x": 1},
        # "count" and "late" still count it; "sum-entry" and "sum-cat" (same metric) skip it.
        {"eventType": "a", "userId": "u1", "t": -4, "x": 1, "categories": ["c1"]},
        {"eventType": "a", "userId": "u2", "t": "45", "x": 1, "categories": ["2.0"]},
    ]
    events = [normalize_event(raw, received_at=1_750_000_000.0) for raw in raws]
    outcome = evaluate(events, rule_set=rule_set, buckets=store)
    assert [(index, rule_id) for index, rule_id, _ in outcome.skipped] == [(1, "sum-entry"), (1, "sum-cat")]
    assert outcome.changed[("count", ("u1",))].progress == 3.0
    assert stored.progress == 1.0
    assert ("sum-cat", ("u1",)) not in outcome.changed
    # A numeric string is a valid sum metric, and "2.0" matches the condition's 2.
    assert outcome.changed[("sum-cat", ("u2",))].progress == 45.0
    assert [(a.rule_id, a.user_id, a.points, a.event_index) for a in outcome.awards] == [
        ("count", "u1", 5.0, 0),
        ("late", "u1", 1.0, 0),
        ("late", "u1", 1.0, 1),
        ("sum-cat", "u2", 1.0, 2),
        ("late", "u2", 1.0, 2),
    ]
