"""Rule parsing: the guide's rule bodies, value forms, defaults of badge rules and sub-rules, validation."""

from typing import Any

import pytest
from tests.api import guide_bodies as guide

from gameservices.domain.conditions import Group, Leaf
from gameservices.domain.errors import DomainValidationError
from gameservices.domain.rule_values import CapKind, MaxPoints, Points
from gameservices.domain.rules import (
    ReportFormat,
    Rule,
    RuleMode,
    RuleStatus,
    RuleType,
    parse_badge_rule,
    parse_rule,
)

VIEW = [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}]

# Guide 6.7, exactly as sent.
WATCH_SESSIONS: dict[str, Any] = {
    "gameObjectType": "leaderboard",
    "gameObjectId": "lb",
    "name": "Watch sessions",
    "description": "10 points per 60 seconds watched",
    "conditions": VIEW,
    "type": "sum",
    "mode": "distribute_points",
    "metric": "playTime",
    "groupBy": "kuserId,entryId",
    "goal": "60",
    "points": "10",
    "maxPoints": "100",
    "reportFormat": "default",
}


def create(**changes: object) -> Rule:
    body = {**WATCH_SESSIONS, **changes}
    return parse_rule({k: v for k, v in body.items() if v is not ...}, rule_id="r1", game_object_id="lb")


def test_guide_rule_parses_with_numbers_given_as_text() -> None:
    rule = create()
    assert rule == Rule(
        id="r1",
        game_object_id="lb",
        name="Watch sessions",
        type=RuleType.SUM,
        mode=RuleMode.DISTRIBUTE_POINTS,
        metric="playTime",
        group_by=("kuserId", "entryId"),
        goal=60.0,
        points=Points(amount=10.0),
        max_points=MaxPoints(CapKind.FIXED, amount=100.0),
        conditions=Group("all", (Leaf("eventType", "equal", "viewPeriod"),)),
        status=RuleStatus.ENABLED,
        user_id_override=None,
        report_format=ReportFormat.DEFAULT,
    )
    assert rule.enabled


# (field, value, parsed attribute, expected)
VALUE_FORMS = [
    ("goal", 60, "goal", 60.0),
    ("goal", "0.5", "goal", 0.5),
    ("points", 25, "points", Points(amount=25.0)),
    ("points", "0", "points", Points(amount=0.0)),
    ("points", "score", "points", Points(field="score")),
    ("maxPoints", "unlimited", "max_points", MaxPoints()),
    ("maxPoints", "Unlimited", "max_points", MaxPoints()),
    ("maxPoints", ..., "max_points", MaxPoints()),
    ("maxPoints", None, "max_points", MaxPoints()),
    ("maxPoints", 50, "max_points", MaxPoints(CapKind.FIXED, amount=50.0)),
    ("maxPoints", "duration", "max_points", MaxPoints(CapKind.FIELD, field="duration")),
    (
        "maxPoints",
        "duration,inMinutesMultiplyByPoints",
        "max_points",
        MaxPoints(CapKind.FIELD_IN_MINUTES, field="duration"),
    ),
    ("groupBy", "kuserId", "group_by", ("kuserId",)),
    ("groupBy", " kuserId , entryId ", "group_by", ("kuserId", "entryId")),
    ("groupBy", ["kuserId", "entryId"], "group_by", ("kuserId", "entryId")),
    ("groupBy", "", "group_by", ()),
    ("groupBy", [], "group_by", ()),
    ("status", "disabled", "status", RuleStatus.DISABLED),
    ("reportFormat", "in_minutes", "report_format", ReportFormat.IN_MINUTES),
    ("reportFormat", ..., "report_format", ReportFormat.DEFAULT),
    ("userIdOverride", "commentAuthorId", "user_id_override", "commentAuthorId"),
    ("userIdOverride", "", "user_id_override", None),
    ("mode", "dont_distribute_points", "mode", RuleMode.DONT_DISTRIBUTE_POINTS),
    ("type", "countBoolean", "type", RuleType.COUNT_BOOLEAN),
]


@pytest.mark.parametrize(("field", "value", "attribute", "expected"), VALUE_FORMS)
def test_value_forms(field: str, value: object, attribute: str, expected: object) -> None:
    assert getattr(create(**{field: value}), attribute) == expected


REQUIRED = ["name", "conditions", "type", "mode", "metric", "groupBy", "goal", "points"]


@pytest.mark.parametrize("field", REQUIRED)
def test_rule_create_requires_the_guide_fields(field: str) -> None:
    with pytest.raises(DomainValidationError) as raised:
        create(**{field: ...})
    assert raised.value.field == field
    assert raised.value.code == "MISSING_MANDATORY_PARAMETER"


# (changes, field)
INVALID = [
    ({"type": "total"}, "type"),
    ({"type": 3}, "type"),
    ({"mode": "block_root_rule_if_exhausted"}, "mode"),
    ({"mode": "block_root_rule_while_in_progress"}, "mode"),
    ({"mode": "distribute"}, "mode"),
    ({"goal": "0"}, "goal"),
    ({"goal": -1}, "goal"),
    ({"goal": "sixty"}, "goal"),
    ({"goal": True}, "goal"),
    ({"points": "-5"}, "points"),
    ({"points": "two words"}, "points"),
    ({"points": []}, "points"),
    ({"maxPoints": "-1"}, "maxPoints"),
    ({"maxPoints": "no cap"}, "maxPoints"),
    ({"maxPoints": ",inMinutesMultiplyByPoints"}, "maxPoints"),
    ({"groupBy": 5}, "groupBy"),
    ({"groupBy": "kuserId,kuserId"}, "groupBy"),
    ({"groupBy": ["kuserId", 5]}, "groupBy"),
    ({"groupBy": "a b"}, "groupBy"),
    ({"metric": ""}, "metric"),
    ({"metric": 5}, "metric"),
    ({"name": "  "}, "name"),
    ({"name": "x" * 257}, "name"),
    ({"status": "paused"}, "status"),
    ({"reportFormat": "csv"}, "reportFormat"),
    ({"userIdOverride": 7}, "userIdOverride"),
    ({"type": "external", "metric": "points"}, "metric"),
    ({"conditions": [{"fact": "eventType", "operator": "is", "value": "x"}]}, "conditions[0].operator"),
    ({"subRules": {}}, "subRules"),
    ({"subRules": [{}] * 11}, "subRules"),
]


@pytest.mark.parametrize(("changes", "field"), INVALID)
def test_invalid_values_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(DomainValidationError) as raised:
        create(**changes)
    assert raised.value.field == field


def test_enum_errors_use_the_enum_code() -> None:
    with pytest.raises(DomainValidationError) as raised:
        create(type="total")
    assert raised.value.code == "INVALID_ENUM_VALUE"
    assert "countUnique" in raised.value.message


def test_a_rule_must_be_an_object() -> None:
    with pytest.raises(DomainValidationError) as raised:
        parse_rule([], rule_id="r1", game_object_id="lb")
    assert raised.value.field == "rule"


# Guide 7.1: an inline badge rule without mode.
BADGE_RULE: dict[str, Any] = {
    "name": "Watch 3 sessions",
    "conditions": VIEW,
    "type": "countUnique",
    "metric": "entryId",
    "groupBy": "kuserId",
    "goal": "3",
    "points": "1",
    "maxPoints": "1",
}


def test_badge_rule_defaults() -> None:
    minimal = {key: BADGE_RULE[key] for key in ("name", "type", "metric", "groupBy", "goal")}
    rule = parse_badge_rule(minimal, rule_id="b1", game_object_id="badge")
    assert rule.mode is RuleMode.DISTRIBUTE_POINTS
    assert rule.points == Points(amount=1.0)
    assert rule.max_points == MaxPoints()
    assert rule.conditions == Group("all", ())
    assert (
        parse_badge_rule(BADGE_RULE, rule_id="b1", game_object_id="badge").mode is RuleMode.DISTRIBUTE_POINTS
    )


@pytest.mark.parametrize("field", ["name", "type", "metric", "groupBy", "goal"])
def test_badge_rule_still_requires(field: str) -> None:
    body = {key: value for key, value in BADGE_RULE.items() if key != field}
    with pytest.raises(DomainValidationError) as raised:
        parse_badge_rule(body, rule_id="b1", game_object_id="badge", field="rules[2]")
    assert raised.value.field == f"rules[2].{field}"


# Guide 6.8.
UPVOTES: dict[str, Any] = guide.rule_6_8("lb")


def test_sub_rules_with_ids_are_named_by_them() -> None:
    first, second = (dict(UPVOTES["subRules"][0], id=sub_id) for sub_id in ("s-a", "s-b"))
    rule = parse_rule({**UPVOTES, "subRules": [first, second]}, rule_id="r9", game_object_id="lb")
    assert [sub.id for sub in rule.sub_rules] == ["r9/s-a", "r9/s-b"]
    # The second keeps its name (its buckets) when the first goes; an id given twice falls back to the position.
    alone = parse_rule({**UPVOTES, "subRules": [second]}, rule_id="r9", game_object_id="lb")
    assert [sub.id for sub in alone.sub_rules] == ["r9/s-b"]
    twice = parse_rule({**UPVOTES, "subRules": [second, second]}, rule_id="r9", game_object_id="lb")
    assert [sub.id for sub in twice.sub_rules] == ["r9/s-b", "r9/1"]


def test_sub_rule_defaults_and_ids() -> None:
    rule = parse_rule(UPVOTES, rule_id="r9", game_object_id="lb")
    (sub,) = rule.sub_rules
    assert sub.id == "r9/0"
    assert sub.game_object_id == "lb"
    assert sub.mode is RuleMode.BLOCK_ROOT_RULE_IF_EXHAUSTED
    assert sub.conditions == rule.conditions
    assert sub.inherits_conditions
    assert sub.points == Points(amount=1.0)
    assert sub.max_points == MaxPoints(CapKind.FIXED, amount=5.0)
    assert sub.group_by == ("kuserId",)


def test_sub_rule_mode_defaults_to_capping_and_may_track() -> None:
    body = {
        **UPVOTES,
        "subRules": [{"name": "s", "type": "count", "metric": "x", "groupBy": "kuserId", "goal": 1}],
    }
    assert (
        parse_rule(body, rule_id="r", game_object_id="lb").sub_rules[0].mode
        is RuleMode.BLOCK_ROOT_RULE_IF_EXHAUSTED
    )
    tracked = {**body["subRules"][0], "mode": "dont_distribute_points", "conditions": VIEW}
    sub = parse_rule({**UPVOTES, "subRules": [tracked]}, rule_id="r", game_object_id="lb").sub_rules[0]
    assert sub.mode is RuleMode.DONT_DISTRIBUTE_POINTS
    assert not sub.inherits_conditions


SUB = UPVOTES["subRules"][0]

# (sub-rule changes, field)
INVALID_SUB_RULES = [
    ({"goal": ...}, "subRules[0].goal"),
    ({"name": ...}, "subRules[0].name"),
    ({"mode": "sometimes"}, "subRules[0].mode"),
    ({"userIdOverride": "authorId"}, "subRules[0].userIdOverride"),
    ({"subRules": []}, "subRules[0].subRules"),
    ({"conditions": [{"operator": "equal", "value": 1}]}, "subRules[0].conditions[0].fact"),
]


@pytest.mark.parametrize(("changes", "field"), INVALID_SUB_RULES)
def test_invalid_sub_rules_name_the_field(changes: dict[str, object], field: str) -> None:
    sub = {key: value for key, value in {**SUB, **changes}.items() if value is not ...}
    with pytest.raises(DomainValidationError) as raised:
        parse_rule({**UPVOTES, "subRules": [sub]}, rule_id="r", game_object_id="lb")
    assert raised.value.field == field


def test_sub_rules_share_the_root_override() -> None:
    body = {**UPVOTES, "userIdOverride": "authorId", "subRules": [{**SUB, "userIdOverride": "authorId"}]}
    rule = parse_rule(body, rule_id="r", game_object_id="lb")
    assert rule.sub_rules[0].user_id_override == "authorId"
