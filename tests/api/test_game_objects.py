"""CRUD of leaderboards, badges, certificates and lead-scoring profiles through API v1, on every database."""

import re
from copy import deepcopy
from typing import Any

import pytest

from tests.api import guide_bodies as guide
from tests.conftest import Api

ID = re.compile(r"^[0-9a-f]{24}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

CREATE_BODIES = {
    "leaderboard": guide.leaderboard_4_2,
    "badge": guide.badge_7_1,
    "certificate": guide.certificate_8_2,
    "leadScoring": guide.lead_scoring_9_3,
}
ENTITIES = {
    "leaderboard": "Leaderboard",
    "badge": "Badge",
    "certificate": "Certificate",
    "leadScoring": "LeadScoring",
}


@pytest.mark.parametrize("controller", list(CREATE_BODIES))
def test_create_echoes_the_stored_object(api: Api, controller: str) -> None:
    body = CREATE_BODIES[controller]()
    created = api.ok(f"{controller}/create", body)
    assert ID.match(created["id"])
    assert created["objectType"] == ENTITIES[controller]
    assert TIME.match(created["createdAt"]) and created["createdAt"] == created["updatedAt"]
    for key, value in body.items():
        if key in ("objectType", "rules"):
            continue
        if key in ("startDate", "endDate"):
            assert TIME.match(created[key])
            continue
        assert created[key] == value, key
    assert api.ok(f"{controller}/get", {"id": created["id"]}) == created


def test_guide_4_2_response_shape(api: Api) -> None:
    created = api.ok("leaderboard/create", guide.leaderboard_4_2())
    assert created["startDate"] == "2025-06-01T09:00:00.000Z"
    assert created["endDate"] == "2025-06-03T18:00:00.000Z"
    assert created["virtualEventIds"] == ["12345"]
    assert created["participationPolicy"] == {"userDefaultPolicy": "display", "policies": []}


@pytest.mark.parametrize("body", [guide.leaderboard_4_4, guide.leaderboard_5])
def test_guide_4_4_and_5_bodies_are_accepted(api: Api, body: Any) -> None:
    created = api.ok("leaderboard/create", body())
    assert created["name"] == body()["name"]


def test_badge_rules_get_ids_and_are_rules(api: Api) -> None:
    badge = api.ok("badge/create", guide.badge_7_1())
    assert badge["status"] == "enabled"
    [rule] = badge["rules"]
    assert ID.match(rule["id"]) and rule["gameObjectType"] == "badge" and rule["gameObjectId"] == badge["id"]
    assert api.ok("rule/get", {"id": rule["id"]})["name"] == "Watch 3 sessions"
    listed = api.ok("rule/list", {"gameObjectType": "badge", "gameObjectId": badge["id"]})
    assert [item["id"] for item in listed["objects"]] == [rule["id"]]


def test_badge_update_replaces_its_rules(api: Api) -> None:
    badge = api.ok("badge/create", guide.badge_7_1())
    kept = {**badge["rules"][0], "goal": "5"}
    kept = {key: kept[key] for key in ("id", "name", "conditions", "type", "metric", "groupBy", "goal")}
    added = {**guide.badge_7_1()["rules"][0], "name": "Second"}
    updated = api.ok("badge/update", {"id": badge["id"], "rules": [kept, added]})
    assert [rule["name"] for rule in updated["rules"]] == ["Watch 3 sessions", "Second"]
    assert updated["rules"][0]["id"] == kept["id"] and updated["rules"][0]["goal"] == "5"
    trimmed = api.ok("badge/update", {"id": badge["id"], "rules": [added]})
    assert [rule["name"] for rule in trimmed["rules"]] == ["Second"]


def test_badge_update_replaces_every_rule_of_a_full_badge(api: Api) -> None:
    rule = guide.badge_7_1()["rules"][0]
    full = [{**rule, "name": f"Old {index}"} for index in range(100)]
    badge = api.ok("badge/create", {**guide.badge_7_1(), "rules": full})
    old_ids = {item["id"] for item in badge["rules"]}
    assert len(old_ids) == 100
    # A new set whose last rule is refused: nothing of the call is written, the left-out rules included.
    broken = [{**rule, "name": f"New {index}"} for index in range(99)] + [{**rule, "goal": "none"}]
    status, error = api.call("badge/update", {"id": badge["id"], "rules": broken})
    assert (status, error["args"]["PARAM_NAME"]) == (400, "rules[99].goal"), error
    assert {item["id"] for item in api.ok("badge/get", {"id": badge["id"]})["rules"]} == old_ids
    replaced = api.ok(
        "badge/update",
        {"id": badge["id"], "rules": [{**rule, "name": f"New {index}"} for index in range(100)]},
    )
    assert [item["name"] for item in replaced["rules"]] == [f"New {index}" for index in range(100)]
    assert old_ids.isdisjoint(item["id"] for item in replaced["rules"])
    assert api.ok("rule/list", {"gameObjectId": badge["id"], "pager": {"pageSize": 500}})["totalCount"] == 100


def test_update_is_partial_and_null_clears(api: Api) -> None:
    created = api.ok("leaderboard/create", guide.leaderboard_4_2())
    updated = api.ok("leaderboard/update", {"id": created["id"], "status": "enabled"})
    assert updated["status"] == "enabled"
    assert updated["description"] == created["description"]
    assert updated["updatedAt"] >= created["updatedAt"]
    cleared = api.ok("leaderboard/update", {"id": created["id"], "description": None})
    assert "description" not in cleared
    status, error = api.call("leaderboard/update", {"id": created["id"], "name": None})
    assert status == 400 and error["args"]["PARAM_NAME"] == "name"


def test_delete_then_get_answers_404(api: Api) -> None:
    created = api.ok("leaderboard/create", guide.leaderboard_4_2())
    rule = api.ok("rule/create", guide.rule_6_7(created["id"]))
    assert api.ok("leaderboard/delete", {"id": created["id"]}) == {"id": created["id"], "deleted": True}
    status, error = api.call("leaderboard/get", {"id": created["id"]})
    assert status == 404 and error["code"] == "OBJECT_NOT_FOUND" and error["args"] == {"ID": created["id"]}
    assert api.call("rule/get", {"id": rule["id"]})[0] == 404
    assert api.call("leaderboard/delete", {"id": created["id"]})[0] == 404


@pytest.mark.parametrize("controller", ["leaderboard", "certificate", "badge", "leadScoring"])
def test_clone_copies_object_and_rules_disabled(api: Api, controller: str) -> None:
    source = api.ok(f"{controller}/create", CREATE_BODIES[controller]())
    if controller == "leaderboard":
        api.ok("rule/create", guide.rule_6_7(source["id"]))
    copy = api.ok(f"{controller}/clone", {"id": source["id"]})
    assert copy["id"] != source["id"] and copy["status"] == "disabled" and copy["name"] == source["name"]
    source_rules = api.ok("rule/list", {"gameObjectId": source["id"]})["objects"]
    copied_rules = api.ok("rule/list", {"gameObjectId": copy["id"]})["objects"]
    assert len(copied_rules) == len(source_rules)
    assert {rule["id"] for rule in copied_rules}.isdisjoint({rule["id"] for rule in source_rules})


def test_clone_gives_the_copied_sub_rules_ids_of_their_own(api: Api) -> None:
    leaderboard = api.ok("leaderboard/create", guide.leaderboard_4_2())
    [source_sub_rule] = api.ok("rule/create", guide.rule_6_8(leaderboard["id"]))["subRules"]
    copy = api.ok("leaderboard/clone", {"id": leaderboard["id"]})
    [copied_rule] = api.ok("rule/list", {"gameObjectId": copy["id"]})["objects"]
    [copied_sub_rule] = copied_rule["subRules"]
    assert ID.match(copied_sub_rule["id"]) and copied_sub_rule["id"] != source_sub_rule["id"]
    assert {**copied_sub_rule, "id": None} == {**source_sub_rule, "id": None}


def test_clone_points_the_credits_mapping_at_the_copied_rules(api: Api) -> None:
    certificate = api.ok("certificate/create", guide.certificate_8_2())
    rule = api.ok("rule/create", guide.certificate_rule_8_4(certificate["id"]))
    api.ok(
        "certificate/update",
        {"id": certificate["id"], "creditsMapping": f"credits,{rule['id']}\n10.0,1\n11.5,2"},
    )
    copy = api.ok("certificate/clone", {"id": certificate["id"]})
    [copied_rule] = api.ok("rule/list", {"gameObjectId": copy["id"]})["objects"]
    assert copy["creditsMapping"] == f"credits,{copied_rule['id']}\n10.0,1\n11.5,2"


def test_list_pages_filters_and_orders(api: Api) -> None:
    ids = [
        api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "name": f"lb {index}"})["id"]
        for index in range(5)
    ]
    first = api.ok("leaderboard/list", {"pager": {"pageSize": 2, "pageIndex": 1}})
    assert first["totalCount"] == 5 and [item["id"] for item in first["objects"]] == ids[::-1][:2]
    last = api.ok("leaderboard/list", {"pager": {"pageSize": 2, "pageIndex": 3}})
    assert [item["id"] for item in last["objects"]] == [ids[0]]
    past = api.ok("leaderboard/list", {"pager": {"pageSize": 2, "pageIndex": 9}})
    assert past == {"totalCount": 5, "objects": []}
    by_name = api.ok("leaderboard/list", {"orderBy": "+name"})
    assert [item["name"] for item in by_name["objects"]] == [f"lb {index}" for index in range(5)]
    picked = api.ok("leaderboard/list", {"idIn": [ids[1], ids[3]]})
    assert {item["id"] for item in picked["objects"]} == {ids[1], ids[3]}
    nested = api.ok("leaderboard/list", {"filter": {"idIn": ids[2]}})
    assert [item["id"] for item in nested["objects"]] == [ids[2]]


def test_list_filters_by_status_dates_and_virtual_events(api: Api) -> None:
    first = api.ok("leaderboard/create", guide.leaderboard_4_2())
    second = api.ok(
        "leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled", "virtualEventIds": ["7"]}
    )
    enabled = api.ok("leaderboard/list", {"statusEqual": "enabled"})
    assert [item["id"] for item in enabled["objects"]] == [second["id"]]
    newer = api.ok("leaderboard/list", {"createdAtGreaterThan": first["createdAt"]})
    assert first["id"] not in [item["id"] for item in newer["objects"]]
    in_event = api.ok("leaderboard/list", {"virtualEventIdIn": ["7"]})
    assert [item["id"] for item in in_event["objects"]] == [second["id"]]


@pytest.mark.parametrize(
    ("controller", "missing"),
    [
        ("leaderboard", "name"),
        ("leaderboard", "status"),
        ("leaderboard", "startDate"),
        ("leaderboard", "endDate"),
        ("leaderboard", "virtualEventIds"),
        ("badge", "name"),
        ("badge", "rules"),
        ("certificate", "name"),
        ("certificate", "certificateEligibility"),
        ("certificate", "certifiedCreditsThreshold"),
        ("leadScoring", "name"),
        ("leadScoring", "status"),
    ],
)
def test_each_missing_required_field_is_named(api: Api, controller: str, missing: str) -> None:
    body = CREATE_BODIES[controller]()
    del body[missing]
    status, error = api.call(f"{controller}/create", body)
    assert status == 400, error
    assert error["code"] == "MISSING_MANDATORY_PARAMETER" and error["args"]["PARAM_NAME"] == missing
    assert error["objectType"] == "KalturaAPIException"
    assert api.ok(f"{controller}/list")["totalCount"] == 0


@pytest.mark.parametrize(
    ("controller", "field", "value"),
    [
        ("leaderboard", "status", "running"),
        ("leaderboard", "objectType", "Badge"),
        ("certificate", "certificateEligibility", "twice"),
        ("badge", "status", "on"),
        ("leadScoring", "status", 3),
    ],
)
def test_bad_enum_values_are_named(api: Api, controller: str, field: str, value: Any) -> None:
    status, error = api.call(f"{controller}/create", {**CREATE_BODIES[controller](), field: value})
    assert status == 400 and error["code"] == "INVALID_ENUM_VALUE" and error["args"]["PARAM_NAME"] == field


def test_nested_enum_is_named_with_its_path(api: Api) -> None:
    body = guide.leaderboard_5()
    body["participationPolicy"]["policies"][1]["matchCriteria"] = "byCountry"
    status, error = api.call("leaderboard/create", body)
    assert status == 400 and error["args"]["PARAM_NAME"] == "participationPolicy.policies.1.matchCriteria"


@pytest.mark.parametrize("field", ["id", "partnerId", "createdAt", "updatedAt", "colour"])
@pytest.mark.parametrize("controller", list(CREATE_BODIES))
def test_unknown_and_server_owned_fields_are_refused(api: Api, controller: str, field: str) -> None:
    status, error = api.call(f"{controller}/create", {**CREATE_BODIES[controller](), field: "x"})
    assert status == 400 and error["code"] == "VALIDATION_ERROR" and error["args"]["PARAM_NAME"] == field
    assert api.ok(f"{controller}/list")["totalCount"] == 0


def test_update_refuses_server_owned_fields_and_changes_nothing(api: Api) -> None:
    created = api.ok("leaderboard/create", guide.leaderboard_4_2())
    for field in ("partnerId", "createdAt", "updatedAt"):
        status, error = api.call("leaderboard/update", {"id": created["id"], "name": "new", field: 1})
        assert status == 400 and error["args"]["PARAM_NAME"] == field
    assert api.ok("leaderboard/get", {"id": created["id"]}) == created


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("startDate", "tomorrow"),
        ("endDate", "2025-13-01T00:00:00Z"),
        ("virtualEventIds", "12345"),
        ("name", ""),
        ("name", "x" * 257),
        ("startDate", 1e300),
    ],
)
def test_bad_values_are_named(api: Api, field: str, value: Any) -> None:
    status, error = api.call("leaderboard/create", {**guide.leaderboard_4_2(), field: value})
    assert status == 400 and error["code"] == "VALIDATION_ERROR" and error["args"]["PARAM_NAME"] == field


def _with_boolean(body: dict[str, Any], path: str, value: bool) -> dict[str, Any]:
    """body with the value at a dotted path (list indexes as numbers) replaced by a boolean."""
    body = deepcopy(body)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize(
    ("controller", "path"),
    [
        ("certificate", "certifiedCreditsThreshold"),
        ("certificate", "outputFileConfiguration.outputFileElements.1.fontSize"),
        ("certificate", "outputFileConfiguration.outputFileElements.3.x"),
        ("certificate", "metadataProfileId"),
        ("leaderboard", "recurrence.interval"),
        ("leaderboard", "recurrence.graceSeconds"),
        ("leaderboard", "subLeaderboards.0.id"),
        ("leadScoring", "scoreGroups.0.range.1"),
    ],
)
def test_a_boolean_is_not_a_number(api: Api, controller: str, path: str, value: bool) -> None:
    body = CREATE_BODIES[controller]()
    if controller == "leaderboard":
        body |= {
            "endDate": "2035-01-01T00:00:00Z",
            "subLeaderboards": guide.leaderboard_4_4()["subLeaderboards"],
        }
        body["recurrence"] = {"unit": "week", "anchor": "2025-06-02T00:00:00", "timezone": "UTC"}
    if path == "metadataProfileId":
        body["metadataProfileId"] = 1
    status, error = api.call(f"{controller}/create", _with_boolean(body, path, value))
    assert (status, error["code"], error["args"]["PARAM_NAME"]) == (400, "VALIDATION_ERROR", path), error
    assert "not true or false" in error["message"]
    assert api.ok(f"{controller}/list")["totalCount"] == 0
    created = api.ok(f"{controller}/create", body)
    top = path.split(".")[0]
    changed = _with_boolean({top: body[top]}, path, value)
    status, error = api.call(f"{controller}/update", {"id": created["id"], **changed})
    assert (status, error["args"]["PARAM_NAME"]) == (400, path), error
    assert api.ok(f"{controller}/get", {"id": created["id"]}) | {"updatedAt": None} == created | {
        "updatedAt": None
    }


@pytest.mark.parametrize("value", ["\u00b2", "\u0663", "--5"])
def test_a_time_of_non_ascii_digits_is_refused_as_no_time(api: Api, value: str) -> None:
    status, error = api.call("leaderboard/create", {**guide.leaderboard_4_2(), "startDate": value})
    assert (status, error["args"]["PARAM_NAME"]) == (400, "startDate")
    assert "not an ISO 8601 time" in error["message"], error["message"]


def test_end_before_start_is_refused(api: Api) -> None:
    body = {**guide.leaderboard_4_2(), "startDate": "2025-06-03T00:00:00Z", "endDate": "2025-06-01T00:00:00Z"}
    status, error = api.call("leaderboard/create", body)
    assert status == 400 and error["args"]["PARAM_NAME"] == "endDate"


def test_lead_scoring_needs_groups_and_refuses_overlaps(api: Api) -> None:
    body = guide.lead_scoring_9_3()
    del body["scoreGroups"]
    status, error = api.call("leadScoring/create", body)
    assert status == 400 and error["args"]["PARAM_NAME"] == "scoreGroups"
    with_percentages = api.ok(
        "leadScoring/create", {**body, "percentageGroups": [{"name": "Hot", "range": [80, 100]}]}
    )
    assert with_percentages["percentageGroups"] == [{"name": "Hot", "range": [80, 100]}]
    overlapping = {
        **body,
        "scoreGroups": [{"name": "A", "range": [0, 500]}, {"name": "B", "range": [400, 900]}],
    }
    status, error = api.call("leadScoring/create", overlapping)
    assert status == 400 and "overlap" in error["message"]
    inverted = {**body, "scoreGroups": [{"name": "A", "range": [10, 0]}]}
    assert api.call("leadScoring/create", inverted)[0] == 400


@pytest.mark.parametrize("bound", ["nan", "inf", "-Infinity"])
@pytest.mark.parametrize("field", ["scoreGroups", "percentageGroups"])
def test_lead_scoring_group_bounds_are_finite(api: Api, field: str, bound: str) -> None:
    body = {**guide.lead_scoring_9_3(), field: [{"name": "A", "range": [bound, 10]}]}
    status, error = api.call("leadScoring/create", body)
    assert (status, error["args"].get("PARAM_NAME")) == (400, f"{field}.0.range.0"), error
    lead = api.ok("leadScoring/create", guide.lead_scoring_9_3())["id"]
    status, error = api.call("leadScoring/update", {"id": lead, field: [{"name": "A", "range": [0, bound]}]})
    assert (status, error["args"].get("PARAM_NAME")) == (400, f"{field}.0.range.1"), error
    assert api.ok("leadScoring/get", {"id": lead})["scoreGroups"] == guide.lead_scoring_9_3()["scoreGroups"]


def test_certificate_credits_mapping_is_checked(api: Api) -> None:
    certificate = api.ok("certificate/create", guide.certificate_8_2())
    rule = api.ok("rule/create", guide.certificate_rule_8_4(certificate["id"]))
    good = api.ok(
        "certificate/update",
        {
            "id": certificate["id"],
            "status": "enabled",
            "creditsMapping": f"credits,{rule['id']}\n10.0,1\n11.5,2",
        },
    )
    assert good["status"] == "enabled"
    for mapping, text in (
        ("credits,0123456789abcdef01234567\n1,1", "not a rule"),
        (f"points,{rule['id']}\n1,1", "line 1"),
        (f"credits,{rule['id']}\n1,one", "line 2"),
        (f"credits,{rule['id']}\n1,1\n2", "line 3"),
    ):
        status, error = api.call("certificate/update", {"id": certificate["id"], "creditsMapping": mapping})
        assert status == 400 and text in error["message"], (mapping, error)
    assert api.ok("certificate/get", {"id": certificate["id"]})["creditsMapping"] == good["creditsMapping"]


def test_a_rule_named_in_a_credits_mapping_is_not_deleted(api: Api) -> None:
    certificate = api.ok("certificate/create", guide.certificate_8_2())
    mapped = api.ok("rule/create", guide.certificate_rule_8_4(certificate["id"]))
    other = api.ok("rule/create", guide.certificate_rule_8_4(certificate["id"]))
    mapping = f"credits,{mapped['id']}\n10.0,1\n11.5,2"
    api.ok("certificate/update", {"id": certificate["id"], "creditsMapping": mapping})
    status, error = api.call("rule/delete", {"id": mapped["id"]})
    assert (status, error["code"], error["args"]["PARAM_NAME"]) == (400, "VALIDATION_ERROR", "id"), error
    assert certificate["id"] in error["message"] and "creditsMapping" in error["message"]
    assert api.ok("rule/get", {"id": mapped["id"]}) == mapped
    assert api.ok("certificate/get", {"id": certificate["id"]})["creditsMapping"] == mapping
    assert api.ok("rule/delete", {"id": other["id"]})["deleted"] is True
    api.ok("certificate/update", {"id": certificate["id"], "creditsMapping": None})
    assert api.ok("rule/delete", {"id": mapped["id"]})["deleted"] is True


def test_certificate_template_is_checked(api: Api) -> None:
    body = guide.certificate_8_2()
    body["outputFileConfiguration"]["outputFileElements"][0] = {"textElementType": "userFullName"}
    status, error = api.call("certificate/create", body)
    assert status == 400 and error["args"]["PARAM_NAME"].startswith("outputFileConfiguration")
