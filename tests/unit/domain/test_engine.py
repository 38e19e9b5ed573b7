"""Accumulation: every rule type, both modes, every cap form, userIdOverride, groupBy shapes, completions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.unit.domain.conftest import Game

VIEW = [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}]
ANY = [{"fact": "eventType", "operator": "equal", "value": "e"}]


def body(**fields: object) -> dict[str, Any]:
    """A rule/create body on event type "e", per user, with the given fields."""
    return {
        "name": "rule",
        "conditions": ANY,
        "mode": "distribute_points",
        "groupBy": "kuserId",
        "maxPoints": "unlimited",
        **fields,
    }


# (rule fields, event fields in order, awards in order, final progress)
TYPE_CASES = [
    pytest.param(
        {"type": "sum", "metric": "playTime", "goal": "60", "points": "10"},
        [{"playTime": 30}, {"playTime": "30"}, {"playTime": 45.5}, {"playTime": 9.5}, {"playTime": 600}],
        [10.0, 100.0],
        715.0,
        id="sum crosses each multiple of goal",
    ),
    pytest.param(
        {"type": "count", "metric": "pollId", "goal": "2", "points": "5"},
        [{}, {}, {}, {}, {}],
        [5.0, 5.0],
        5.0,
        id="count",
    ),
    pytest.param(
        {"type": "countUnique", "metric": "entryId", "goal": "2", "points": "50"},
        [{"entryId": "a"}, {"entryId": "a"}, {"entryId": "b"}, {}, {"entryId": "c"}, {"entryId": "d"}],
        [50.0, 50.0],
        4.0,
        id="countUnique",
    ),
    pytest.param(
        {"type": "countBoolean", "metric": "like", "goal": "1", "points": "2"},
        [{"like": v} for v in (True, False, "true", 1, 0, "false", None, "TRUE", "yes", 2.5)],
        [2.0, 2.0, 2.0, 2.0, 2.0],
        5.0,
        id="countBoolean counts true, non-zero numbers and 'true'",
    ),
    pytest.param(
        {"type": "external", "metric": "score", "goal": "1", "points": "score"},
        [{"score": 50}, {"score": "75"}, {"score": 90, "scoreAction": "upsert"}, {"score": -10}],
        [50.0, 75.0, -35.0, -10.0],
        80.0,
        id="external adds scores, upsert replaces",
    ),
    pytest.param(
        {"type": "override", "metric": "level", "goal": "1", "points": "1"},
        [{"level": 3}, {"level": "7"}, {"level": 2}, {"level": 2}],
        [3.0, 4.0, -5.0],
        2.0,
        id="override sets progress",
    ),
]


@pytest.mark.parametrize(("fields", "events", "awards", "progress"), TYPE_CASES)
def test_rule_types(
    game: Game,
    fields: dict[str, object],
    events: list[dict[str, object]],
    awards: list[float],
    progress: float,
) -> None:
    game.rule("r1", body(**fields))
    game.send(*({"eventType": "e", "userId": "ann", **event} for event in events))
    assert [award.points for award in game.awards] == awards
    bucket = game.bucket("r1", "ann")
    assert bucket is not None
    assert bucket.progress == progress
    assert game.score("ann") == sum(awards)
    assert game.skipped == []


def test_count_unique_remembers_values_across_batches(game: Game) -> None:
    game.rule("r1", body(type="countUnique", metric="entryId", goal="3", points="1"))
    game.send(
        {"eventType": "e", "userId": "ann", "entryId": "a"}, {"eventType": "e", "userId": "ann", "entryId": 7}
    )
    game.send(
        {"eventType": "e", "userId": "ann", "entryId": "a"},
        {"eventType": "e", "userId": "ann", "entryId": "7"},
    )
    bucket = game.bucket("r1", "ann")
    assert bucket is not None
    assert (bucket.progress, bucket.seen) == (2.0, {"a", "7"})
    game.send({"eventType": "e", "userId": "ann", "entryId": "b"})
    assert game.score("ann") == 1.0


# (maxPoints, event fields, awards)
CAP_CASES = [
    pytest.param("25", [{}, {}, {}, {}], [10.0, 10.0, 5.0], id="number"),
    pytest.param(25, [{}, {}, {}, {}], [10.0, 10.0, 5.0], id="JSON number"),
    pytest.param("0", [{}, {}], [], id="zero"),
    pytest.param("unlimited", [{}, {}, {}, {}], [10.0, 10.0, 10.0, 10.0], id="unlimited"),
    pytest.param(
        "cap",
        [{"cap": 15}, {"cap": "15"}, {"cap": 15}, {"cap": 40}, {"cap": 30}, {"cap": 10}],
        [10.0, 5.0, 10.0, 5.0],
        id="event field, never taking points back when it drops",
    ),
    pytest.param(
        "duration,inMinutesMultiplyByPoints",
        [{"duration": 150}, {"duration": 150}, {"duration": 150}, {"duration": 240}],
        [10.0, 10.0, 10.0],
        id="minutes of a field times points",
    ),
    pytest.param(
        "duration,inMinutesMultiplyByPoints",
        [{"duration": 59}, {"duration": 119}, {"duration": 119}],
        [10.0],
        id="minutes round down",
    ),
]


MINUTES_CAP = "duration,inMinutesMultiplyByPoints"


@pytest.mark.parametrize(("max_points", "events", "awards"), CAP_CASES)
def test_caps(game: Game, max_points: object, events: list[dict[str, object]], awards: list[float]) -> None:
    game.rule("r1", body(type="count", metric="x", goal="1", points="10", maxPoints=max_points))
    game.send(*({"eventType": "e", "userId": "ann", **event} for event in events))
    assert [award.points for award in game.awards] == awards


def test_a_minutes_cap_reads_the_entry_duration_when_the_event_has_none(game: Game) -> None:
    game.rule("r1", body(type="count", metric="x", goal="1", points="10", maxPoints=MINUTES_CAP))
    outcome = game.send(
        {"eventType": "e", "userId": "ann", "entryId": "e1"},  # no duration known yet: skipped
        {"eventType": "e", "userId": "ann", "entryId": "e1", "duration": 150},  # cap 20
        {"eventType": "e", "userId": "ann", "entryId": "e1"},  # e1 lasts 150 s (earlier in the call): cap 20
        {"eventType": "e", "userId": "ann", "entryId": "e1"},  # cap 20 reached
        {"eventType": "e", "userId": "ann", "entryId": "e1", "duration": 400},  # cap 60
        {"eventType": "e", "userId": "ann", "entryId": "e2", "duration": "x"},  # a duration, but no number
    )
    assert outcome.skipped == [
        (0, "r1", "duration is missing from the event and unknown for its entry"),
        (5, "r1", "duration must be a non-negative number"),
    ]
    assert [(award.event_index, award.points) for award in outcome.awards] == [
        (1, 10.0),
        (2, 10.0),
        (4, 10.0),
    ]
    # A later call reads the duration kept for the entry (400 s: cap 60).
    game.send(*({"eventType": "e", "userId": "ann", "entryId": "e1"} for _ in range(4)))
    assert game.score("ann") == 60.0


def test_a_minutes_cap_of_a_sub_rule_reads_the_entry_duration(game: Game) -> None:
    cap = {
        "name": "cap",
        "type": "count",
        "metric": "x",
        "groupBy": "kuserId",
        "goal": "1",
        "maxPoints": MINUTES_CAP,
    }
    game.rule("r1", body(type="count", metric="x", goal="1", points="10", subRules=[cap]))
    game.send({"eventType": "other", "userId": "ann", "entryId": "e1", "duration": 120})
    outcome = game.send(*({"eventType": "e", "userId": "ann", "entryId": "e1"} for _ in range(4)))
    assert outcome.skipped == []
    assert [award.points for award in outcome.awards] == [10.0, 10.0]


def test_cap_applies_to_several_multiples_at_once(game: Game) -> None:
    game.rule("r1", body(type="sum", metric="playTime", goal="60", points="10", maxPoints="100"))
    game.send(
        {"eventType": "e", "userId": "ann", "playTime": 420},
        {"eventType": "e", "userId": "ann", "playTime": 600},
    )
    assert [award.points for award in game.awards] == [70.0, 30.0]
    bucket = game.bucket("r1", "ann")
    assert bucket is not None
    assert (bucket.progress, bucket.awarded) == (1020.0, 100.0)


def test_cap_on_external_contribution(game: Game) -> None:
    game.rule("r1", body(type="external", metric="score", goal="1", points="score", maxPoints="100"))
    game.send(*({"eventType": "e", "userId": "ann", "score": score} for score in (60, 60, -30)))
    assert [award.points for award in game.awards] == [60.0, 40.0, -10.0]


def test_points_from_an_event_field(game: Game) -> None:
    game.rule("r1", body(type="count", metric="x", goal="2", points="bonus"))
    game.send(*({"eventType": "e", "userId": "ann", "bonus": bonus} for bonus in (1, 7, 1, "3")))
    assert [award.points for award in game.awards] == [7.0, 3.0]


def test_a_points_field_is_needed_only_when_a_goal_is_reached(game: Game) -> None:
    game.rule("r1", body(type="count", metric="x", goal="2", points="bonus"))
    outcome = game.send(
        {"eventType": "e", "userId": "ann"},  # 1 of 2: no points due, no bonus needed
        {"eventType": "e", "userId": "ann"},  # 2 of 2: points due, bonus missing: skipped by the rule
        {"eventType": "e", "userId": "ann", "bonus": 4},  # 2 of 2 again
    )
    assert outcome.skipped == [(1, "r1", "bonus must be a non-negative number")]
    assert [(award.event_index, award.points) for award in outcome.awards] == [(2, 4.0)]


def test_dont_distribute_points_tracks_progress_only(game: Game) -> None:
    game.rule("r1", body(type="count", metric="x", goal="1", points="10", mode="dont_distribute_points"))
    outcome = game.send({"eventType": "e", "userId": "ann"}, {"eventType": "e", "userId": "ann"})
    assert [(award.points, award.distributed) for award in outcome.awards] == [(10.0, False), (10.0, False)]
    assert game.score("ann") == 0.0
    bucket = game.bucket("r1", "ann")
    assert bucket is not None
    assert bucket.progress == 2.0


def test_user_id_override_credits_and_groups_by_the_named_user(game: Game) -> None:
    game.rule("r1", body(type="count", metric="x", goal="1", points="20", userIdOverride="authorId"))
    game.send(
        {"eventType": "e", "userId": "liker1", "authorId": "author"},
        {"eventType": "e", "userId": "liker2", "authorId": "author"},
        {"eventType": "e", "userId": "liker3"},
        {"eventType": "e", "userId": "liker3", "authorId": ""},
    )
    assert game.score("author") == 40.0
    assert game.score("liker1") == game.score("liker3") == 0.0
    bucket = game.bucket("r1", "author")
    assert bucket is not None
    assert (bucket.user_id, bucket.progress) == ("author", 2.0)
    assert game.bucket("r1", "liker1") is None


def test_first_three_registrants(game: Game) -> None:
    game.rule(
        "first3",
        {
            "name": "First 3 registrants",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "registered"}],
            "type": "countUnique",
            "mode": "distribute_points",
            "metric": "kuserId",
            "groupBy": "",
            "goal": "1",
            "points": "100",
            "maxPoints": "300",
        },
    )
    game.send(
        *({"eventType": "registered", "userId": user} for user in ("amy", "bob", "amy", "cat", "dan", "eve"))
    )
    assert [(award.user_id, award.points) for award in game.awards] == [
        ("amy", 100.0),
        ("bob", 100.0),
        ("cat", 100.0),
    ]
    bucket = game.bucket("first3")
    assert bucket is not None
    assert (bucket.user_id, bucket.progress, bucket.awarded) == (None, 5.0, 300.0)
    assert game.awards[0].bucket_key == ("first3", ())


# (groupBy, bucket keys after the events)
GROUP_BY_CASES = [
    ("kuserId", {("r1", ("ann",)), ("r1", ("bob",))}),
    ("userId", {("r1", ("ann",)), ("r1", ("bob",))}),
    ("kuserId,entryId", {("r1", ("ann", "0_a")), ("r1", ("ann", "0_b")), ("r1", ("bob", "0_a"))}),
    ("entryId,kuserId", {("r1", ("0_a", "ann")), ("r1", ("0_b", "ann")), ("r1", ("0_a", "bob"))}),
    ("entryId", {("r1", ("0_a",)), ("r1", ("0_b",))}),
    ("kuserId,categories", {("r1", ("ann", "c1,c2")), ("r1", ("ann", "")), ("r1", ("bob", "c1,c2"))}),
    ("", {("r1", ())}),
]


@pytest.mark.parametrize(("group_by", "keys"), GROUP_BY_CASES)
def test_group_by_shapes(game: Game, group_by: str, keys: set[tuple[str, tuple[str, ...]]]) -> None:
    game.rule("r1", body(type="count", metric="x", goal="1", points="1", groupBy=group_by))
    game.send(
        {"eventType": "e", "userId": "ann", "entryId": "0_a", "categories": "c1,c2"},
        {"eventType": "e", "userId": "ann", "entryId": "0_b"},
        {"eventType": "e", "userId": "bob", "entryId": "0_a", "categories": ["c1", "c2"]},
    )
    assert set(game.store.buckets) == keys


def test_completion_is_reported_once(game: Game) -> None:
    game.rule("r1", body(type="sum", metric="playTime", goal="300", points="1", maxPoints="1"))
    times = ("2025-06-01T10:00:00Z", "2025-06-01T10:05:00Z", "2025-06-01T10:10:00Z")
    game.send(*({"eventType": "e", "userId": "ann", "playTime": 200, "eventTime": when} for when in times))
    assert [(c.rule_id, c.user_id, c.event_time, c.event_index) for c in game.completions] == [
        ("r1", "ann", game.at(times[1]), 1)
    ]
    bucket = game.bucket("r1", "ann")
    assert bucket is not None
    assert (bucket.completed_at, bucket.updated_at) == (game.at(times[1]), game.at(times[2]))


def test_award_carries_its_context(game: Game) -> None:
    game.rule("r1", body(type="count", metric="x", goal="1", points="10", groupBy="kuserId,entryId"))
    outcome = game.send(
        {"eventType": "other", "userId": "bob"}, {"eventType": "e", "userId": "ann", "entryId": "0_a"}
    )
    (award,) = outcome.awards
    assert award._asdict() == {
        "game_object_id": "lb",
        "rule_id": "r1",
        "user_id": "ann",
        "points": 10.0,
        "event_time": game.T0,
        "bucket_key": ("r1", ("ann", "0_a")),
        "distributed": True,
        "hidden": False,
        "event_index": 1,
    }


def test_rules_apply_in_order_within_an_event(game: Game) -> None:
    game.rule("r1", body(type="count", metric="x", goal="1", points="1"))
    game.rule("r2", {**body(type="count", metric="x", goal="1", points="2"), "conditions": []})
    game.rule("r3", body(type="count", metric="x", goal="1", points="3"))
    game.send({"eventType": "e", "userId": "ann"}, {"eventType": "f", "userId": "ann"})
    assert [(award.event_index, award.rule_id) for award in game.awards] == [
        (0, "r1"),
        (0, "r2"),
        (0, "r3"),
        (1, "r2"),
    ]


def test_event_types_listed_with_in(game: Game) -> None:
    registration = [{"fact": "eventType", "operator": "in", "value": ["registered", "confirmed"]}]
    game.rule("r1", {**body(type="count", metric="x", goal="1", points="50"), "conditions": registration})
    game.send(
        *(
            {"eventType": kind, "userId": user}
            for kind, user in (("registered", "a"), ("confirmed", "b"), ("x", "c"))
        )
    )
    assert [award.user_id for award in game.awards] == ["a", "b"]


def test_other_conditions_still_apply_to_pinned_rules(game: Game) -> None:
    conditions = [*VIEW, {"fact": "categories", "operator": "in", "value": "c1"}]
    game.rule("r1", {**body(type="count", metric="x", goal="1", points="1"), "conditions": conditions})
    game.send(
        {"eventType": "viewPeriod", "userId": "a", "categories": "c1"},
        {"eventType": "viewPeriod", "userId": "b", "categories": "c2"},
        {"eventType": "comment", "userId": "c", "categories": "c1"},
    )
    assert [award.user_id for award in game.awards] == ["a"]
