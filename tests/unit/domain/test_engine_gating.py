"""Which rules see an event (object, rule, dates, virtual events, policies), sub-rules, skips, copy-on-write."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from gameservices.domain.buckets import Bucket, DictBucketSource
from gameservices.domain.engine import GameObjectScope, RuleSet, evaluate
from gameservices.domain.events import normalize_event
from gameservices.domain.rules import parse_rule

if TYPE_CHECKING:
    from tests.unit.domain.conftest import Game


def counting(points: int | str = 10, **fields: object) -> dict[str, Any]:
    """A rule/create body counting events of type "e" per user."""
    return {
        "name": "rule",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "e"}],
        "type": "count",
        "mode": "distribute_points",
        "metric": "x",
        "groupBy": "kuserId",
        "goal": "1",
        "points": str(points),
        "maxPoints": "unlimited",
        **fields,
    }


def test_disabled_object_and_disabled_rule_see_nothing(game: Game) -> None:
    game.game_object("off", enabled=False)
    game.rule("r-off-object", counting(), object_id="off")
    game.rule("r-disabled", counting(status="disabled"))
    game.rule("r-missing-object", counting(), object_id="deleted")
    game.rule("r-on", counting())
    game.send({"eventType": "e", "userId": "ann"})
    assert [award.rule_id for award in game.awards] == ["r-on"]
    assert set(game.store.buckets) == {("r-on", ("ann",))}


# (event time, counted)
WINDOW = [
    ("2025-06-01T13:59:59Z", False),
    ("2025-06-01T14:00:00Z", True),
    ("2025-06-01T14:30:00+00:00", True),
    ("2025-06-01T15:00:00Z", True),
    ("2025-06-01T15:00:00.001Z", False),
]


@pytest.mark.parametrize(("when", "counted"), WINDOW)
def test_dates_are_inclusive(game: Game, when: str, counted: bool) -> None:
    game.game_object("flash", start="2025-06-01T14:00:00Z", end="2025-06-01T15:00:00Z")
    game.rule("r1", counting(), object_id="flash")
    game.send({"eventType": "e", "userId": "ann", "eventTime": when})
    assert game.score("ann", "flash") == (10.0 if counted else 0.0)


def test_open_ended_window(game: Game) -> None:
    game.game_object("from", start="2025-06-01T14:00:00Z")
    game.game_object("until", end="2025-06-01T14:00:00Z")
    game.rule("r-from", counting(), object_id="from")
    game.rule("r-until", counting(), object_id="until")
    game.send({"eventType": "e", "userId": "ann", "eventTime": "2030-01-01T00:00:00Z"})
    game.send({"eventType": "e", "userId": "bob", "eventTime": "2020-01-01T00:00:00Z"})
    assert [(award.rule_id, award.user_id) for award in game.awards] == [
        ("r-from", "ann"),
        ("r-until", "bob"),
    ]


# (virtualEventIds of the object, virtualEventId of the event or None, counted)
VIRTUAL_EVENTS = [
    (("12345",), 12345, True),
    (("12345",), "12345", True),
    (("12345",), "999", False),
    (("12345", "999"), "999", True),
    (("12345",), None, True),
    ((), "999", True),
]


@pytest.mark.parametrize(("object_ids", "event_id", "counted"), VIRTUAL_EVENTS)
def test_virtual_event_ids(game: Game, object_ids: tuple[str, ...], event_id: object, counted: bool) -> None:
    game.game_object("scoped", virtual_event_ids=object_ids)
    game.rule("r1", counting(), object_id="scoped")
    event: dict[str, object] = {"eventType": "e", "userId": "ann"}
    if event_id is not None:
        event["virtualEventId"] = event_id
    game.send(event)
    assert game.score("ann", "scoped") == (10.0 if counted else 0.0)


POLICY = {
    "userDefaultPolicy": "display",
    "policies": [
        {"policy": "do_not_save", "matchCriteria": "byEmailDomain", "values": ["internal.com"]},
        {"policy": "do_not_display", "matchCriteria": "byGroup", "values": ["speakers"]},
    ],
}

# (email, groups, saved, hidden)
PARTICIPATION = [
    ("ann@internal.com", (), False, False),
    ("ann@INTERNAL.COM", ("speakers",), False, False),
    ("bob@example.com", ("speakers",), True, True),
    ("cat@example.com", ("staff",), True, False),
    (None, (), True, False),
]


@pytest.mark.parametrize(("email", "groups", "saved", "hidden"), PARTICIPATION)
def test_participation_policy(
    game: Game, email: str | None, groups: tuple[str, ...], saved: bool, hidden: bool
) -> None:
    game.game_object("lb", policy=POLICY)
    game.rule("r1", counting())
    if email is not None or groups:
        game.profile("user", email=email, groups=groups)
    outcome = game.send({"eventType": "e", "userId": "user"})
    assert [award.hidden for award in outcome.awards] == ([hidden] if saved else [])
    assert (game.bucket("r1", "user") is not None) is saved


def test_a_user_without_profile_gets_the_default_policy(game: Game) -> None:
    game.game_object("lb", policy={"userDefaultPolicy": "do_not_display", "policies": POLICY["policies"]})
    game.rule("r1", counting())
    (award,) = game.send({"eventType": "e", "userId": "nobody@internal.com"}).awards
    assert award.hidden


def test_everyone_do_not_save_leaves_the_rule_out(game: Game) -> None:
    game.game_object("lb", policy={"userDefaultPolicy": "do_not_save", "policies": []})
    game.rule("r1", counting())
    assert RuleSet.build(game.scopes.values(), game.rules).rule_count == 0


def test_policy_reads_the_recipient_not_the_sender(game: Game) -> None:
    game.game_object("lb", policy=POLICY)
    game.rule("r1", counting(userIdOverride="authorId"))
    game.profile("author", email="author@internal.com")
    game.send({"eventType": "e", "userId": "fan", "authorId": "author"})
    assert game.awards == []


def test_a_rule_that_cannot_use_an_event_skips_it_alone(game: Game) -> None:
    game.rule("count", counting(points=1))
    game.rule("watch", counting(type="sum", metric="playTime", goal="60", points="10"))
    game.send({"eventType": "e", "userId": "ann", "playTime": 60})
    before = {key: bucket.state() for key, bucket in game.store.buckets.items()}
    outcome = game.send(
        {"eventType": "e", "userId": "ann", "playTime": 60},
        {"eventType": "e", "userId": "bob", "playTime": "a minute"},
        {"eventType": "e", "userId": "ann", "playTime": -5},
        {"eventType": "e", "userId": "ann"},
        {"eventType": "e", "userId": "cat", "playTime": 60},
    )
    assert outcome.skipped == [
        (1, "watch", "playTime must be a non-negative number"),
        (2, "watch", "playTime must be a non-negative number"),
        (3, "watch", "playTime must be a non-negative number"),
    ]
    # "count" still sees every event; "watch" leaves no trace of the ones it skipped (no bucket for bob).
    assert [(award.event_index, award.rule_id) for award in outcome.awards] == [
        (0, "count"),
        (0, "watch"),
        (1, "count"),
        (2, "count"),
        (3, "count"),
        (4, "count"),
        (4, "watch"),
    ]
    assert set(outcome.changed) == {
        ("count", ("ann",)),
        ("watch", ("ann",)),
        ("count", ("bob",)),
        ("count", ("cat",)),
        ("watch", ("cat",)),
    }
    ann = outcome.changed[("count", ("ann",))]
    assert (ann.progress, ann.awarded) == (4.0, 4.0)
    assert outcome.changed[("watch", ("ann",))].progress == 120.0
    assert before[("count", ("ann",))][1] == 1.0


def test_a_skip_rolls_back_count_unique_values_of_that_rule_only(game: Game) -> None:
    game.rule("unique", counting(type="countUnique", metric="entryId", goal="3"))
    game.rule("points", counting(type="countUnique", metric="entryId", points="bonus", goal="1"))
    outcome = game.send(
        {"eventType": "e", "userId": "ann", "entryId": "a", "bonus": 1},
        {"eventType": "e", "userId": "ann", "entryId": "b"},
        {"eventType": "e", "userId": "ann", "entryId": "b", "bonus": 2},
    )
    assert [(index, rule_id) for index, rule_id, _ in outcome.skipped] == [(1, "points")]
    unique = outcome.changed[("unique", ("ann",))]
    assert (unique.progress, unique.seen) == (2.0, {"a", "b"})
    # "points" forgot "b" when it skipped event 1, so event 2 still counts (and pays its bonus).
    points = outcome.changed[("points", ("ann",))]
    assert (points.progress, points.seen, points.awarded) == (2.0, {"a", "b"}, 3.0)
    assert [(award.rule_id, award.event_index) for award in outcome.awards] == [("points", 0), ("points", 2)]


def test_a_skip_undoes_the_sub_rules_of_the_skipping_rule(game: Game) -> None:
    tracker = {"name": "tracker", "type": "count", "metric": "x", "groupBy": "kuserId", "goal": "1"}
    game.rule(
        "watch",
        counting(
            type="sum",
            metric="playTime",
            subRules=[{**tracker, "mode": "dont_distribute_points", "conditions": []}],
        ),
    )
    game.rule("count", counting(points=1))
    outcome = game.send(
        {"eventType": "e", "userId": "ann"}, {"eventType": "e", "userId": "ann", "playTime": 5}
    )
    assert outcome.skipped == [(0, "watch", "playTime must be a non-negative number")]
    assert outcome.changed[("watch/0", ("ann",))].progress == 1.0
    assert outcome.changed[("count", ("ann",))].progress == 2.0


def test_a_skip_in_a_sub_rule_names_it(game: Game) -> None:
    cap = {
        "name": "cap",
        "type": "sum",
        "metric": "bonus",
        "groupBy": "kuserId",
        "goal": "1",
        "maxPoints": "5",
    }
    game.rule("root", counting(subRules=[cap]))
    game.rule("other", counting(points=1))
    outcome = game.send({"eventType": "e", "userId": "ann"})
    assert outcome.skipped == [(0, "root", "bonus must be a non-negative number (sub-rule root/0)")]
    assert [award.rule_id for award in outcome.awards] == ["other"]


def test_evaluation_never_mutates_stored_buckets() -> None:
    rule = parse_rule(counting(type="countUnique", metric="entryId"), rule_id="r1", game_object_id="lb")
    rule_set = RuleSet.build([GameObjectScope("lb", "leaderboard", True)], [rule])
    stored = Bucket("ann", progress=1.0, awarded=10.0, seen={"a"}, completed_at=5.0, updated_at=5.0)
    source = DictBucketSource({("r1", ("ann",)): stored})
    event = normalize_event({"eventType": "e", "userId": "ann", "entryId": "b"}, received_at=9.0)
    outcome = evaluate([event], rule_set=rule_set, buckets=source)
    assert stored.state() == ("ann", 1.0, 10.0, frozenset({"a"}), 5.0, 5.0)
    assert outcome.changed[("r1", ("ann",))].state() == ("ann", 2.0, 20.0, frozenset({"a", "b"}), 5.0, 9.0)
    assert outcome.changed[("r1", ("ann",))] is not stored


def test_bucket_keys_cover_what_evaluation_reads(game: Game) -> None:
    game.rule("r1", counting(groupBy="kuserId,entryId"))
    game.rule("r2", {**counting(), "conditions": [{"fact": "eventType", "operator": "equal", "value": "f"}]})
    events = [
        normalize_event({"eventType": "e", "userId": "ann", "entryId": "0_a"}, received_at=0),
        normalize_event({"eventType": "f", "userId": "bob"}, received_at=0),
        normalize_event({"eventType": "g", "userId": "cat"}, received_at=0),
    ]
    rule_set = RuleSet.build(game.scopes.values(), game.rules)
    assert rule_set.bucket_keys(events) == {("r1", ("ann", "0_a")), ("r2", ("bob",))}


UPVOTE = [{"fact": "eventType", "operator": "equal", "value": "like"}]


def upvote_rule(sub_rule: dict[str, Any], **root: object) -> dict[str, Any]:
    """Guide 6.8's root rule (20 per upvote per user per entry, max 100) with the given sub-rule."""
    return {
        "name": "Upvotes",
        "conditions": UPVOTE,
        "type": "count",
        "mode": "distribute_points",
        "metric": "like",
        "groupBy": "kuserId,entryId",
        "goal": "1",
        "points": "20",
        "maxPoints": "100",
        "subRules": [sub_rule],
        **root,
    }


def test_while_in_progress_holds_the_root_until_the_sub_rule_goal(game: Game) -> None:
    sub = {
        "name": "3 first",
        "type": "count",
        "metric": "x",
        "groupBy": "kuserId",
        "goal": "3",
        "mode": "block_root_rule_while_in_progress",
    }
    game.rule("r1", upvote_rule(sub))
    game.send(*({"eventType": "like", "userId": "ann", "entryId": "0_a"} for _ in range(5)))
    assert [award.points for award in game.awards] == [20.0, 20.0, 20.0]
    root = game.bucket("r1", "ann", "0_a")
    sub_bucket = game.bucket("r1/0", "ann")
    assert root is not None and sub_bucket is not None
    assert (root.progress, sub_bucket.progress, sub_bucket.completed_at) == (3.0, 5.0, game.T0)


def test_prerequisite_sub_rule_counts_its_own_event_type(game: Game) -> None:
    sub = {
        "name": "registered first",
        "type": "count",
        "metric": "x",
        "groupBy": "kuserId",
        "goal": "1",
        "mode": "block_root_rule_while_in_progress",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "registered"}],
    }
    game.rule("r1", upvote_rule(sub))
    game.send(
        {"eventType": "like", "userId": "ann", "entryId": "0_a"},
        {"eventType": "registered", "userId": "ann"},
        {"eventType": "like", "userId": "ann", "entryId": "0_a"},
        {"eventType": "like", "userId": "bob", "entryId": "0_a"},
    )
    assert [(award.user_id, award.points) for award in game.awards] == [("ann", 20.0)]
    assert game.completions[0].rule_id == "r1"
    assert all(award.rule_id == "r1" for award in game.awards)


def test_if_exhausted_with_own_conditions_caps_only_what_it_matches(game: Game) -> None:
    sub = {
        "name": "2 on sponsored",
        "type": "count",
        "metric": "x",
        "groupBy": "kuserId",
        "goal": "1",
        "maxPoints": "2",
        "conditions": [{"fact": "categories", "operator": "contains", "value": "sponsor"}],
    }
    game.rule("r1", upvote_rule(sub, maxPoints="unlimited"))
    game.send(
        *({"eventType": "like", "userId": "ann", "entryId": "0_a", "categories": "sponsor"} for _ in range(4))
    )
    game.send(
        *({"eventType": "like", "userId": "ann", "entryId": "0_b", "categories": "news"} for _ in range(3))
    )
    assert game.score("ann") == 20.0 * 2 + 20.0 * 3
    sub_bucket = game.bucket("r1/0", "ann")
    assert sub_bucket is not None
    assert (sub_bucket.progress, sub_bucket.awarded) == (2.0, 2.0)


def test_a_cap_of_zero_blocks_the_root_from_the_start(game: Game) -> None:
    sub = {
        "name": "none",
        "type": "count",
        "metric": "x",
        "groupBy": "kuserId",
        "goal": "1",
        "maxPoints": "0",
    }
    game.rule("r1", upvote_rule(sub))
    game.send(*({"eventType": "like", "userId": "ann", "entryId": "0_a"} for _ in range(2)))
    assert game.awards == []
    assert game.bucket("r1", "ann", "0_a") is None


def test_disabled_sub_rule_is_ignored(game: Game) -> None:
    sub = {
        "name": "cap 1",
        "type": "count",
        "metric": "x",
        "groupBy": "kuserId",
        "goal": "1",
        "maxPoints": "1",
        "status": "disabled",
    }
    game.rule("r1", upvote_rule(sub))
    game.send(*({"eventType": "like", "userId": "ann", "entryId": "0_a"} for _ in range(3)))
    assert game.score("ann") == 60.0
