"""Engine invariants under random event streams: batching never matters, scores add up, caps hold."""

from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gameservices.domain.awards import Award, rule_scores, user_scores
from gameservices.domain.buckets import BucketKey, DictBucketSource
from gameservices.domain.engine import GameObjectScope, RuleSet, evaluate
from gameservices.domain.entries import entry_key, seen_duration
from gameservices.domain.events import NormalizedEvent, normalize_event
from gameservices.domain.policies import UserFacts, parse_participation_policy
from gameservices.domain.rules import Rule, parse_rule


def _when(event_type: str) -> list[dict[str, object]]:
    return [{"fact": "eventType", "operator": "equal", "value": event_type}]


def _rule(rule_id: str, **fields: object) -> Rule:
    body: dict[str, Any] = {
        "name": rule_id,
        "mode": "distribute_points",
        "groupBy": "kuserId",
        "goal": "1",
        "points": "10",
        "maxPoints": "unlimited",
        **fields,
    }
    return parse_rule(body, rule_id=rule_id, game_object_id=str(fields.pop("object", "lb")))


RULES = [
    _rule(
        "watch",
        conditions=_when("viewPeriod"),
        type="sum",
        metric="playTime",
        groupBy="kuserId,entryId",
        goal="60",
        maxPoints="100",
    ),
    _rule(
        "minutes",
        conditions=_when("viewPeriod"),
        type="sum",
        metric="playTime",
        goal="30",
        points="5",
        maxPoints="duration,inMinutesMultiplyByPoints",
    ),
    _rule(
        "polls", conditions=_when("pollAnswered"), type="countUnique", metric="pollId", goal="2", points="25"
    ),
    _rule(
        "likes",
        conditions=_when("like"),
        type="countBoolean",
        metric="like",
        maxPoints="30",
        subRules=[
            {
                "name": "cap",
                "type": "count",
                "metric": "x",
                "groupBy": "kuserId",
                "goal": "1",
                "maxPoints": "4",
            }
        ],
    ),
    _rule(
        "chat",
        conditions=_when("comment"),
        type="count",
        metric="x",
        points="bonus",
        maxPoints="35",
        subRules=[
            {
                "name": "after 2",
                "type": "count",
                "metric": "x",
                "groupBy": "kuserId",
                "goal": "2",
                "mode": "block_root_rule_while_in_progress",
            }
        ],
    ),
    _rule(
        "first3",
        conditions=_when("registered"),
        type="countUnique",
        metric="kuserId",
        groupBy="",
        points="100",
        maxPoints="300",
    ),
    _rule(
        "booth",
        conditions=_when("external"),
        type="external",
        metric="score",
        points="score",
        maxPoints="120",
    ),
    _rule("level", conditions=_when("level"), type="override", metric="level", goal="5"),
    _rule("tracked", conditions=[], type="count", metric="x", mode="dont_distribute_points", goal="3"),
    _rule(
        "authors", conditions=_when("like"), type="count", metric="x", userIdOverride="authorId", points="3"
    ),
]
FIXED_CAPS = {"watch": 100.0, "likes": 30.0, "chat": 35.0, "first3": 300.0, "likes/0": 4.0}
SCOPES = [
    GameObjectScope(
        "lb",
        "leaderboard",
        True,
        policy=parse_participation_policy(
            {
                "policies": [
                    {"policy": "do_not_save", "matchCriteria": "byEmailDomain", "values": ["internal.com"]},
                    {"policy": "do_not_display", "matchCriteria": "byGroup", "values": ["speakers"]},
                ]
            }
        ),
    )
]
RULE_SET = RuleSet.build(SCOPES, RULES)


class Profiles:
    def facts(self, user_id: str) -> UserFacts | None:
        return {"u3": UserFacts("u3@internal.com"), "u4": UserFacts(None, frozenset({"speakers"}))}.get(
            user_id
        )


USERS = st.sampled_from(["u0", "u1", "u2", "u3", "u4"])
RAW_EVENT = st.fixed_dictionaries(
    {
        "eventType": st.sampled_from(
            ["viewPeriod", "pollAnswered", "like", "comment", "registered", "external", "level", "other"]
        ),
        "userId": USERS,
    },
    optional={
        "entryId": st.sampled_from(["0_a", "0_b", 7]),
        "playTime": st.one_of(st.integers(0, 200), st.floats(0, 200), st.just("a while")),
        "duration": st.integers(0, 400),
        "pollId": st.sampled_from(["p1", "p2", "p3", 4]),
        "like": st.sampled_from([True, False, "true", 0, 1]),
        "bonus": st.sampled_from([0, 5, "7", "none"]),
        "score": st.integers(-50, 150),
        "scoreAction": st.sampled_from(["delta", "upsert"]),
        "level": st.integers(-5, 20),
        "authorId": USERS,
    },
)
STREAM = st.lists(RAW_EVENT, max_size=60).map(
    lambda raws: [
        normalize_event({**raw, "eventTime": 1_000.0 + n}, received_at=0.0) for n, raw in enumerate(raws)
    ]
)

# An award with its position in the whole stream instead of in its batch.
Record = tuple[str, str, float, float, BucketKey, bool, bool, int]


def _run(
    events: Sequence[NormalizedEvent], cuts: Sequence[int], rule_set: RuleSet = RULE_SET
) -> tuple[DictBucketSource, list[Award], list[Record], list[tuple[int, str, str]]]:
    """Evaluate events in batches ending at the cuts, carrying state (buckets, entry durations) between them."""
    store = DictBucketSource()
    durations: dict[str, float] = {}
    awards: list[Award] = []
    records: list[Record] = []
    skipped: list[tuple[int, str, str]] = []
    start = 0
    for end in [*sorted(set(cuts)), len(events)]:
        if end <= start:
            continue
        outcome = evaluate(
            events[start:end],
            rule_set=rule_set,
            buckets=store,
            profiles=Profiles(),
            entry_durations=durations,
        )
        for event in events[start:end]:
            duration, entry = seen_duration(event.fields), entry_key(event.fields)
            if duration is not None and entry is not None:
                durations[entry] = duration
        store.apply(outcome.changed)
        awards.extend(outcome.awards)
        records.extend(
            (
                a.rule_id,
                a.user_id,
                a.points,
                a.event_time,
                a.bucket_key,
                a.distributed,
                a.hidden,
                a.event_index + start,
            )
            for a in outcome.awards
        )
        skipped.extend((index + start, rule_id, message) for index, rule_id, message in outcome.skipped)
        start = end
    return store, awards, records, skipped


def _states(store: DictBucketSource) -> dict[BucketKey, object]:
    return {key: bucket.state() for key, bucket in store.buckets.items()}


@settings(max_examples=300, deadline=None)
@given(events=STREAM, cuts=st.lists(st.integers(0, 60), max_size=6))
def test_batching_never_changes_the_outcome(events: list[NormalizedEvent], cuts: list[int]) -> None:
    whole = _run(events, [])
    chunked = _run(events, cuts)
    one_by_one = _run(events, list(range(len(events))))
    for other in (chunked, one_by_one):
        assert _states(other[0]) == _states(whole[0])
        assert other[2] == whole[2]
        assert other[3] == whole[3]
        assert user_scores(other[1]) == user_scores(whole[1])


@settings(max_examples=300, deadline=None)
@given(events=STREAM)
def test_scores_add_up_and_caps_hold(events: list[NormalizedEvent]) -> None:
    store, awards, _, _ = _run(events, [3, 10, 30])
    per_rule = rule_scores(awards)
    for (object_id, user_id), total in user_scores(awards).items():
        assert total == sum(
            points for (o, _, u), points in per_rule.items() if (o, u) == (object_id, user_id)
        )
    for key, bucket in store.buckets.items():
        rule_id = key[0]
        if rule_id in FIXED_CAPS:
            assert bucket.awarded <= FIXED_CAPS[rule_id]
        if "/" not in rule_id:
            handed_out = sum(award.points for award in awards if award.bucket_key == key)
            assert abs(handed_out - bucket.awarded) < 1e-9
    assert all(not award.distributed for award in awards if award.rule_id == "tracked")
    assert all(award.distributed for award in awards if award.rule_id != "tracked")
    assert not any("/" in award.rule_id for award in awards)
    assert not any(award.user_id == "u3" for award in awards)
    assert all(award.hidden == (award.user_id == "u4") for award in awards)


@settings(max_examples=200, deadline=None)
@given(events=STREAM)
def test_users_never_lose_points_from_counting_rules(events: list[NormalizedEvent]) -> None:
    _, awards, _, _ = _run(events, [])
    assert all(award.points > 0 for award in awards if award.rule_id not in ("booth", "level"))


@settings(max_examples=200, deadline=None)
@given(events=STREAM)
def test_each_rule_scores_as_if_it_were_alone(events: list[NormalizedEvent]) -> None:
    """A rule that cannot use an event never keeps another rule from seeing it (metric isolation)."""
    store, _, records, skipped = _run(events, [5, 20])
    for rule in RULES:
        alone_store, _, alone_records, alone_skipped = _run(events, [5, 20], RuleSet.build(SCOPES, [rule]))
        own = [key for key in store.buckets if key[0].split("/")[0] == rule.id]
        assert {key: store.buckets[key].state() for key in own} == _states(alone_store)
        assert [record for record in records if record[0] == rule.id] == alone_records
        assert [skip for skip in skipped if skip[1] == rule.id] == alone_skipped
