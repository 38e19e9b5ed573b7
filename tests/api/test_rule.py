"""The ``rule`` controller: the guide's examples, validation naming the field, and the game-object link."""

import re
from typing import Any

import pytest
from sqlalchemy import Engine

from gameservices.projection.replay import verify
from gameservices.storage.database import read_transaction
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner

ID = re.compile(r"^[0-9a-f]{24}$")


@pytest.fixture
def leaderboard(api: Api) -> dict[str, Any]:
    created: dict[str, Any] = api.ok("leaderboard/create", guide.leaderboard_4_2())
    return created


def test_guide_6_7_rule_crud(api: Api, leaderboard: dict[str, Any]) -> None:
    rule = api.ok("rule/create", guide.rule_6_7(leaderboard["id"]))
    assert rule["objectType"] == "Rule" and rule["status"] == "enabled"
    assert rule["goal"] == "60" and rule["groupBy"] == "kuserId,entryId"
    listed = api.ok("rule/list", {"gameObjectType": "leaderboard", "gameObjectId": leaderboard["id"]})
    assert [item["id"] for item in listed["objects"]] == [rule["id"]]
    disabled = api.ok("rule/update", {"id": rule["id"], "status": "disabled"})
    assert disabled["status"] == "disabled" and disabled["metric"] == "playTime"
    assert api.ok("rule/update", {"id": rule["id"], "status": "enabled"})["status"] == "enabled"
    assert api.ok("rule/delete", {"id": rule["id"]}) == {"id": rule["id"], "deleted": True}
    assert api.call("rule/get", {"id": rule["id"]})[0] == 404


def test_guide_6_8_sub_rules_get_ids(api: Api, leaderboard: dict[str, Any]) -> None:
    rule = api.ok("rule/create", guide.rule_6_8(leaderboard["id"]))
    [sub_rule] = rule["subRules"]
    assert len(sub_rule["id"]) == 24 and sub_rule["mode"] == "block_root_rule_if_exhausted"


@pytest.mark.parametrize(
    "missing",
    [
        "gameObjectType",
        "gameObjectId",
        "name",
        "conditions",
        "type",
        "mode",
        "metric",
        "groupBy",
        "goal",
        "points",
    ],
)
def test_each_required_rule_field_is_named(api: Api, leaderboard: dict[str, Any], missing: str) -> None:
    body = guide.rule_6_7(leaderboard["id"])
    del body[missing]
    status, error = api.call("rule/create", body)
    assert status == 400 and error["code"] == "MISSING_MANDATORY_PARAMETER"
    assert error["args"]["PARAM_NAME"] == missing


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("type", "average", "type"),
        ("mode", "block_root_rule_if_exhausted", "mode"),
        ("goal", "-5", "goal"),
        ("goal", "sixty", "goal"),
        ("conditions", [{"fact": "eventType", "operator": "like", "value": "x"}], "conditions[0].operator"),
        ("reportFormat", "hours", "reportFormat"),
    ],
)
def test_bad_rule_values_are_named(
    api: Api, leaderboard: dict[str, Any], field: str, value: Any, named: str
) -> None:
    status, error = api.call("rule/create", {**guide.rule_6_7(leaderboard["id"]), field: value})
    assert status == 400 and error["args"]["PARAM_NAME"] == named, error
    assert api.ok("rule/list", {"gameObjectId": leaderboard["id"]})["totalCount"] == 0


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("field", ["goal", "points", "maxPoints"])
def test_a_boolean_is_not_a_number(api: Api, leaderboard: dict[str, Any], field: str, value: bool) -> None:
    status, error = api.call("rule/create", {**guide.rule_6_7(leaderboard["id"]), field: value})
    assert (status, error["code"], error["args"]["PARAM_NAME"]) == (400, "VALIDATION_ERROR", field), error
    assert "not true or false" in error["message"]
    assert api.ok("rule/list", {"gameObjectId": leaderboard["id"]})["totalCount"] == 0
    rule = api.ok("rule/create", guide.rule_6_7(leaderboard["id"]))
    status, error = api.call("rule/update", {"id": rule["id"], field: value})
    assert (status, error["args"]["PARAM_NAME"]) == (400, field), error
    assert api.ok("rule/get", {"id": rule["id"]}) == rule


def test_a_boolean_is_not_a_number_in_a_sub_rule_or_a_badge_rule(
    api: Api, leaderboard: dict[str, Any]
) -> None:
    body = guide.rule_6_8(leaderboard["id"])
    body["subRules"][0]["goal"] = True
    status, error = api.call("rule/create", body)
    assert (status, error["args"]["PARAM_NAME"]) == (400, "subRules[0].goal"), error
    badge = guide.badge_7_1()
    badge["rules"][0]["points"] = True
    status, error = api.call("badge/create", badge)
    assert (status, error["args"]["PARAM_NAME"]) == (400, "rules[0].points"), error


def test_rule_must_match_its_game_object(api: Api, leaderboard: dict[str, Any]) -> None:
    status, error = api.call("rule/create", {**guide.rule_6_7(leaderboard["id"]), "gameObjectType": "badge"})
    assert status == 400 and error["args"]["PARAM_NAME"] == "gameObjectType"
    status, error = api.call("rule/create", guide.rule_6_7("0123456789abcdef01234567"))
    assert status == 404 and error["code"] == "OBJECT_NOT_FOUND"


def test_rule_cannot_move_to_another_object(api: Api, leaderboard: dict[str, Any]) -> None:
    rule = api.ok("rule/create", guide.rule_6_7(leaderboard["id"]))
    other = api.ok("leaderboard/create", guide.leaderboard_4_2())
    status, error = api.call("rule/update", {"id": rule["id"], "gameObjectId": other["id"]})
    assert status == 400 and error["args"]["PARAM_NAME"] == "gameObjectId"


def test_rules_for_every_game_object_type(api: Api) -> None:
    certificate = api.ok("certificate/create", guide.certificate_8_2())
    lead = api.ok("leadScoring/create", guide.lead_scoring_9_3())
    assert (
        api.ok("rule/create", guide.certificate_rule_8_4(certificate["id"]))["gameObjectType"]
        == "certificate"
    )
    assert api.ok("rule/create", guide.lead_scoring_rule_9_3(lead["id"]))["gameObjectType"] == "leadScoring"
    badge = api.ok("badge/create", guide.badge_7_1())
    extra = {
        **guide.badge_7_1()["rules"][0],
        "gameObjectType": "badge",
        "gameObjectId": badge["id"],
        "mode": "distribute_points",
    }
    assert api.ok("rule/create", extra)["gameObjectId"] == badge["id"]
    assert len(api.ok("badge/get", {"id": badge["id"]})["rules"]) == 2


def test_rules_per_object_are_limited(api: Api, leaderboard: dict[str, Any]) -> None:
    for _ in range(100):
        api.ok("rule/create", guide.rule_6_7(leaderboard["id"]))
    status, error = api.call("rule/create", guide.rule_6_7(leaderboard["id"]))
    assert status == 400 and "at most 100" in error["message"]


def test_rule_list_takes_its_game_object_under_filter_too(api: Api, leaderboard: dict[str, Any]) -> None:
    rule = api.ok("rule/create", guide.rule_6_7(leaderboard["id"]))
    other = api.ok("leaderboard/create", guide.leaderboard_4_2())
    api.ok("rule/create", guide.rule_6_7(other["id"]))
    wanted = {"gameObjectType": "leaderboard", "gameObjectId": leaderboard["id"]}
    listed = api.ok("rule/list", {"filter": wanted})
    assert [item["id"] for item in listed["objects"]] == [rule["id"]]
    # The top level wins over the filter, as for the standard filters.
    listed = api.ok("rule/list", {"gameObjectId": other["id"], "filter": wanted})
    assert [item["gameObjectId"] for item in listed["objects"]] == [other["id"]]


def test_sub_rule_ids_are_the_servers(api: Api) -> None:
    leaderboard = api.ok("leaderboard/create", guide.leaderboard_4_2())
    body = guide.rule_6_8(leaderboard["id"])
    sub_rule = body["subRules"][0]
    made_up = [{**sub_rule, "id": {"a": 1}}, {**sub_rule, "id": "mine"}, {**sub_rule, "id": "mine"}]
    rule = api.ok("rule/create", {**body, "subRules": made_up})
    ids = [item["id"] for item in rule["subRules"]]
    assert all(ID.match(item) for item in ids) and len(set(ids)) == 3
    kept = api.ok("rule/update", {"id": rule["id"], "subRules": [rule["subRules"][1], rule["subRules"][1]]})
    assert kept["subRules"][0]["id"] == ids[1] and kept["subRules"][1]["id"] not in ids


def cap_sub_rule(name: str, group_by: str, max_points: str) -> dict[str, Any]:
    """A sub-rule that blocks its root rule once a bucket of it handed out `max_points` likes."""
    return {
        "name": name,
        "type": "count",
        "metric": "commentId",
        "groupBy": group_by,
        "goal": "1",
        "maxPoints": max_points,
        "mode": "block_root_rule_if_exhausted",
    }


def _like(comment: str) -> dict[str, Any]:
    return {
        "eventType": "like",
        "userId": "ann",
        "entryId": "0_a",
        "commentId": comment,
        "like": True,
        "eventTime": "2025-06-02T10:00:00Z",
        "virtualEventId": guide.VIRTUAL_EVENT_ID,
    }


def _score(api: Api, leaderboard_id: str) -> float:
    found: float = api.ok("userScore/get", {"gameObjectId": leaderboard_id, "userId": "ann"})["score"]
    return found


def test_a_sub_rule_keeps_its_progress_when_one_before_it_is_removed(
    api: Api, engine: Engine, partner: Partner
) -> None:
    leaderboard = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})
    body = guide.rule_6_8(leaderboard["id"]) | {"groupBy": "kuserId,commentId", "points": "10"}
    # Three likes a user, and two an entry: ann's likes on 0_a exhaust the second sub-rule, not the first.
    body["subRules"] = [
        cap_sub_rule("Per user", "kuserId", "3"),
        cap_sub_rule("Per entry", "kuserId,entryId", "2"),
    ]
    rule = api.ok("rule/create", body)
    api.ok("event/send", {"events": [_like("c1"), _like("c2"), _like("c3")]})
    assert _score(api, leaderboard["id"]) == 20
    per_entry = rule["subRules"][1]
    updated = api.ok("rule/update", {"id": rule["id"], "subRules": [per_entry]})
    assert [sub_rule["id"] for sub_rule in updated["subRules"]] == [per_entry["id"]]
    # The per-entry cap keeps its own progress (exhausted on 0_a), not the removed per-user cap's.
    api.ok("event/send", {"events": [_like("c4")]})
    assert _score(api, leaderboard["id"]) == 20
    # A sub-rule added before it leaves its progress too.
    added = api.ok(
        "rule/update", {"id": rule["id"], "subRules": [cap_sub_rule("New", "kuserId", "9"), per_entry]}
    )
    assert added["subRules"][1]["id"] == per_entry["id"]
    api.ok("event/send", {"events": [_like("c5")]})
    assert _score(api, leaderboard["id"]) == 20
    # Replaying the log from empty reaches the same buckets and scores.
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert verdict.same, verdict.differences
