"""Conditions: every operator on scalar, list, numeric, boolean and missing facts; groups; validation."""

import pytest

from gameservices.domain.conditions import (
    Group,
    Leaf,
    compile_conditions,
    parse_conditions,
    split_event_type_pin,
)
from gameservices.domain.errors import DomainValidationError

CATEGORIES = ("c1", "c2")

# (fact, operator, value, fields, expected)
OPERATOR_CASES = [
    # equal: text, numbers as text or numbers, booleans, lists as sets, missing facts
    ("eventType", "equal", "viewPeriod", {"eventType": "viewPeriod"}, True),
    ("eventType", "equal", "viewPeriod", {"eventType": "viewperiod"}, False),
    ("playTime", "equal", "60", {"playTime": 60}, True),
    ("playTime", "equal", 60, {"playTime": "60.0"}, True),
    ("playTime", "equal", "060", {"playTime": "60"}, True),
    ("playTime", "equal", "60", {"playTime": 61}, False),
    ("like", "equal", "true", {"like": True}, True),
    ("like", "equal", True, {"like": "true"}, True),
    ("like", "equal", 1, {"like": True}, False),
    ("categories", "equal", "c2,c1", {"categories": CATEGORIES}, True),
    ("categories", "equal", "c1", {"categories": CATEGORIES}, False),
    ("entryId", "equal", "0_a", {}, False),
    ("entryId", "equal", "0_a", {"entryId": None}, False),
    # notEqual: the negation, and a missing fact matches
    ("eventType", "notEqual", "comment", {"eventType": "viewPeriod"}, True),
    ("playTime", "notEqual", "60", {"playTime": 60.0}, False),
    ("entryId", "notEqual", "0_a", {}, True),
    # lessThan / greaterThan: numeric only
    ("playTime", "lessThan", 60, {"playTime": 59}, True),
    ("playTime", "lessThan", 60, {"playTime": 60}, False),
    ("playTime", "lessThan", "60", {"playTime": "59.5"}, True),
    ("playTime", "lessThan", 60, {"playTime": "abc"}, False),
    ("playTime", "lessThan", 60, {}, False),
    ("playTime", "lessThan", 60, {"playTime": (1, 2)}, False),
    ("playTime", "lessThan", 60, {"playTime": True}, False),
    ("score", "greaterThan", "60", {"score": 61}, True),
    ("score", "greaterThan", 60, {"score": 60}, False),
    ("score", "greaterThan", 60, {"score": "1e2"}, True),
    ("score", "greaterThan", -1, {}, False),
    # in, scalar fact: one of a list or a comma string
    ("entryId", "in", "0_a,0_b", {"entryId": "0_b"}, True),
    ("entryId", "in", "0_a, 0_b", {"entryId": "0_b"}, True),
    ("entryId", "in", ["0_a", "0_b"], {"entryId": "0_c"}, False),
    ("entryId", "in", ["a,b"], {"entryId": "a,b"}, True),
    ("pollId", "in", "1,2,3", {"pollId": 2}, True),
    ("pollId", "in", [1, 2], {"pollId": "2.0"}, True),
    ("entryId", "in", "0_a", {}, False),
    # in, list fact: shares at least one value
    ("categories", "in", "c3,c2", {"categories": CATEGORIES}, True),
    ("categories", "in", "c3", {"categories": CATEGORIES}, False),
    ("categories", "in", 5, {"categories": ("5",)}, True),
    ("categories", "in", "c1", {"categories": ()}, False),
    # notIn
    ("categories", "notIn", "c3", {"categories": CATEGORIES}, True),
    ("categories", "notIn", ["c3", "c1"], {"categories": CATEGORIES}, False),
    ("entryId", "notIn", "0_a,0_b", {"entryId": "0_a"}, False),
    ("categories", "notIn", "c1", {}, True),
    # contains, list fact: shares at least one value
    ("categories", "contains", "c1", {"categories": ("c1", "c9")}, True),
    ("categories", "contains", ["c7", "c1"], {"categories": ("c1",)}, True),
    ("categories", "contains", "c7,c9", {"categories": ("c9",)}, True),
    ("categories", "contains", "c7", {"categories": CATEGORIES}, False),
    # contains, scalar fact: substring (case matters), any of a list
    ("entryName", "contains", "Keynote", {"entryName": "Opening Keynote 2025"}, True),
    ("entryName", "contains", "keynote", {"entryName": "Opening Keynote 2025"}, False),
    ("entryName", "contains", ["Panel", "Keynote"], {"entryName": "Opening Keynote"}, True),
    ("entryId", "contains", "234", {"entryId": 12345}, True),
    ("entryName", "contains", "x", {}, False),
    # doesNotContain
    ("entryName", "doesNotContain", "Keynote", {"entryName": "Panel"}, True),
    ("entryName", "doesNotContain", "Key", {"entryName": "Keynote"}, False),
    ("categories", "doesNotContain", "c2", {"categories": CATEGORIES}, False),
    ("categories", "doesNotContain", "c2", {}, True),
]


@pytest.mark.parametrize(("fact", "operator", "value", "fields", "expected"), OPERATOR_CASES)
def test_operator(fact: str, operator: str, value: object, fields: dict[str, object], expected: bool) -> None:
    predicate = compile_conditions(parse_conditions([{"fact": fact, "operator": operator, "value": value}]))
    assert predicate is not None
    assert predicate(fields) is expected


VIEW = {"fact": "eventType", "operator": "equal", "value": "viewPeriod"}
IN_C1 = {"fact": "categories", "operator": "in", "value": "c1"}
IN_C2 = {"fact": "categories", "operator": "in", "value": "c2"}

# (conditions, fields, expected)
GROUP_CASES = [
    ([VIEW, IN_C1], {"eventType": "viewPeriod", "categories": ("c1",)}, True),
    ([VIEW, IN_C1], {"eventType": "viewPeriod", "categories": ("c2",)}, False),
    ({"all": [VIEW, IN_C1]}, {"eventType": "comment", "categories": ("c1",)}, False),
    ({"any": [IN_C1, IN_C2]}, {"categories": ("c2",)}, True),
    ({"any": [IN_C1, IN_C2]}, {"categories": ("c3",)}, False),
    ([VIEW, {"any": [IN_C1, IN_C2]}], {"eventType": "viewPeriod", "categories": ("c2",)}, True),
    ([VIEW, {"any": [IN_C1, IN_C2]}], {"eventType": "viewPeriod", "categories": ("c3",)}, False),
    ({"any": [VIEW, {"all": [IN_C1, IN_C2]}]}, {"eventType": "x", "categories": ("c1", "c2")}, True),
    ({"any": [VIEW, {"all": []}]}, {"eventType": "x"}, True),
    ({"any": []}, {"eventType": "viewPeriod"}, False),
    ([VIEW, IN_C1, IN_C2], {"eventType": "viewPeriod", "categories": ("c1", "c2")}, True),
    ([VIEW, IN_C1, IN_C2], {"eventType": "viewPeriod", "categories": ("c1",)}, False),
]


@pytest.mark.parametrize(("conditions", "fields", "expected"), GROUP_CASES)
def test_groups(conditions: object, fields: dict[str, object], expected: bool) -> None:
    predicate = compile_conditions(parse_conditions(conditions))
    assert (predicate is None or predicate(fields)) is expected


def test_empty_list_always_matches() -> None:
    assert compile_conditions(parse_conditions([])) is None


def test_parse_keeps_the_tree() -> None:
    tree = parse_conditions([VIEW, {"any": [IN_C1, {"fact": "pollId", "operator": "in", "value": [1, 2]}]}])
    assert tree == Group(
        "all",
        (
            Leaf("eventType", "equal", "viewPeriod"),
            Group("any", (Leaf("categories", "in", "c1"), Leaf("pollId", "in", (1, 2)))),
        ),
    )


def _nested(depth: int) -> object:
    tree: object = [VIEW]
    for _ in range(depth - 1):
        tree = [{"all": tree}]
    return tree


LEAF = {"fact": "a", "operator": "equal", "value": 1}

# (conditions, field, code)
INVALID_CASES = [
    ("eventType", "conditions", "VALIDATION_ERROR"),
    ({}, "conditions", "VALIDATION_ERROR"),
    ({"all": [], "any": []}, "conditions", "VALIDATION_ERROR"),
    ({"all": "x"}, "conditions.all", "VALIDATION_ERROR"),
    (["x"], "conditions[0]", "VALIDATION_ERROR"),
    ([LEAF, {"operator": "equal", "value": 1}], "conditions[1].fact", "MISSING_MANDATORY_PARAMETER"),
    ([{"fact": "", "operator": "equal", "value": 1}], "conditions[0].fact", "VALIDATION_ERROR"),
    ([{"fact": 5, "operator": "equal", "value": 1}], "conditions[0].fact", "VALIDATION_ERROR"),
    ([{"fact": "a", "value": 1}], "conditions[0].operator", "MISSING_MANDATORY_PARAMETER"),
    ([{"fact": "a", "operator": "equals", "value": 1}], "conditions[0].operator", "VALIDATION_ERROR"),
    ([{"fact": "a", "operator": "equal"}], "conditions[0].value", "MISSING_MANDATORY_PARAMETER"),
    ([{"fact": "a", "operator": "equal", "value": None}], "conditions[0].value", "VALIDATION_ERROR"),
    ([{"fact": "a", "operator": "equal", "value": [1, 2]}], "conditions[0].value", "VALIDATION_ERROR"),
    ([{"fact": "a", "operator": "in", "value": [{"x": 1}]}], "conditions[0].value", "VALIDATION_ERROR"),
    ([{"fact": "a", "operator": "in", "value": {"x": 1}}], "conditions[0].value", "VALIDATION_ERROR"),
    ([{"fact": "a", "operator": "lessThan", "value": "abc"}], "conditions[0].value", "VALIDATION_ERROR"),
    (
        [{"any": [LEAF, {"fact": "a", "operator": "bad", "value": 1}]}],
        "conditions[0].any[1].operator",
        "VALIDATION_ERROR",
    ),
    (
        {"all": [{"any": [{"fact": "a", "operator": "in"}]}]},
        "conditions.all[0].any[0].value",
        "MISSING_MANDATORY_PARAMETER",
    ),
    (_nested(9), "conditions" + "[0].all" * 8, "VALIDATION_ERROR"),
    ([LEAF] * 101, "conditions[100]", "VALIDATION_ERROR"),
    ([{"any": [LEAF] * 60}, {"any": [LEAF] * 41}], "conditions[1].any[40]", "VALIDATION_ERROR"),
]


@pytest.mark.parametrize(("conditions", "field", "code"), INVALID_CASES)
def test_invalid_conditions_name_the_field(conditions: object, field: str, code: str) -> None:
    with pytest.raises(DomainValidationError) as raised:
        parse_conditions(conditions)
    assert raised.value.field == field
    assert raised.value.code == code


def test_limits_are_inclusive() -> None:
    parse_conditions(_nested(8))
    parse_conditions([LEAF] * 100)


def test_field_prefix_is_used_in_errors() -> None:
    with pytest.raises(DomainValidationError) as raised:
        parse_conditions([{"fact": "a", "operator": "x", "value": 1}], field="subRules[0].conditions")
    assert raised.value.field == "subRules[0].conditions[0].operator"


# (conditions, pinned event types, number of remaining children)
PIN_CASES = [
    ([VIEW, IN_C1], frozenset({"viewPeriod"}), 1),
    (
        [IN_C1, {"fact": "eventType", "operator": "in", "value": "like,comment"}],
        frozenset({"like", "comment"}),
        1,
    ),
    (
        [{"fact": "eventType", "operator": "in", "value": ["registered", "confirmed"]}],
        frozenset({"registered", "confirmed"}),
        0,
    ),
    ({"all": [VIEW]}, frozenset({"viewPeriod"}), 0),
    ({"any": [VIEW]}, None, 1),
    ([{"fact": "eventType", "operator": "notEqual", "value": "viewPeriod"}], None, 1),
    ([{"fact": "eventType", "operator": "equal", "value": "60"}], None, 1),
    ([IN_C1], None, 1),
]


@pytest.mark.parametrize(("conditions", "pins", "remaining"), PIN_CASES)
def test_event_type_pin(conditions: object, pins: frozenset[str] | None, remaining: int) -> None:
    found, rest = split_event_type_pin(parse_conditions(conditions))
    assert found == pins
    assert len(rest.children) == remaining
