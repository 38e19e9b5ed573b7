"""Tenancy: partner B's KS gets exactly what an unknown id gets for partner A's objects, and changes nothing."""

from typing import Any

import pytest

from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner

UNKNOWN = "0123456789abcdef01234567"


def _populate(api: Api) -> dict[str, Any]:
    leaderboard = api.ok("leaderboard/create", guide.leaderboard_4_2())
    rule = api.ok("rule/create", guide.rule_6_7(leaderboard["id"]))
    return {
        "leaderboard": leaderboard,
        "badge": api.ok("badge/create", guide.badge_7_1()),
        "certificate": api.ok("certificate/create", guide.certificate_8_2()),
        "leadScoring": api.ok("leadScoring/create", guide.lead_scoring_9_3()),
        "rule": rule,
        "scheduledGameObject": api.ok(
            "scheduledGameObject/create",
            guide.schedule_13(leaderboard["id"], "enable", "2030-01-01T00:00:00Z"),
        ),
    }


def _snapshot(api: Api, objects: dict[str, Any]) -> dict[str, Any]:
    return {
        controller: api.ok(f"{controller}/get", {"id": item["id"]}) for controller, item in objects.items()
    }


def _same_error_apart_from_id(first: tuple[int, Any], second: tuple[int, Any]) -> bool:
    (status_a, body_a), (status_b, body_b) = first, second
    strip = lambda body: {**body, "message": body["message"].replace(UNKNOWN, "?"), "args": {}}  # noqa: E731
    return status_a == status_b and strip(body_a) == {**strip(body_b), "message": strip(body_b)["message"]}


@pytest.mark.parametrize("action", ["get", "update", "delete", "clone"])
def test_other_partner_cannot_touch_objects(app_client: Any, new_partner: Any, action: str) -> None:
    owner, intruder = Api(app_client, new_partner().ks), Api(app_client, new_partner().ks)
    objects = _populate(owner)
    before = _snapshot(owner, objects)
    for controller, item in objects.items():
        if action == "clone" and controller not in ("leaderboard", "certificate", "badge", "leadScoring"):
            continue
        body: dict[str, Any] = {"id": item["id"]}
        unknown_body: dict[str, Any] = {"id": UNKNOWN}
        if action == "update":
            body["name" if controller != "scheduledGameObject" else "scheduledAction"] = "disable"
            unknown_body = {**body, "id": UNKNOWN}
        answer = intruder.call(f"{controller}/{action}", body)
        unknown = intruder.call(f"{controller}/{action}", unknown_body)
        assert answer[0] == 404 and answer[1]["code"] == "OBJECT_NOT_FOUND", (controller, answer)
        assert answer[1]["args"] == {"ID": item["id"]}
        assert _same_error_apart_from_id(
            (answer[0], {**answer[1], "message": answer[1]["message"].replace(item["id"], UNKNOWN)}), unknown
        ), (answer, unknown)
    assert _snapshot(owner, objects) == before


def test_other_partner_lists_nothing_of_ours(app_client: Any, new_partner: Any) -> None:
    owner, intruder = Api(app_client, new_partner().ks), Api(app_client, new_partner().ks)
    objects = _populate(owner)
    for controller in objects:
        assert intruder.ok(f"{controller}/list", {})["totalCount"] == 0
    listed = intruder.ok("rule/list", {"gameObjectId": objects["leaderboard"]["id"]})
    assert listed == {"totalCount": 0, "objects": []}


def test_other_partner_cannot_attach_rules_or_schedules(app_client: Any, new_partner: Any) -> None:
    owner, intruder = Api(app_client, new_partner().ks), Api(app_client, new_partner().ks)
    leaderboard = owner.ok("leaderboard/create", guide.leaderboard_4_2())
    status, error = intruder.call("rule/create", guide.rule_6_7(leaderboard["id"]))
    assert status == 404 and error["code"] == "OBJECT_NOT_FOUND"
    status, error = intruder.call(
        "scheduledGameObject/create", guide.schedule_13(leaderboard["id"], "enable", "2030-01-01T00:00:00Z")
    )
    assert status == 404
    assert owner.ok("rule/list", {"gameObjectId": leaderboard["id"]})["totalCount"] == 0


def test_partner_ids_in_ks_cannot_be_swapped(api: Api, partner: Partner, new_partner: Any) -> None:
    other: Partner = new_partner()
    forged = partner.mint()  # signed with our secret, then relabelled as the other partner
    import base64

    raw = base64.urlsafe_b64decode(forged + "=" * (-len(forged) % 4))
    relabelled = raw.replace(f"|{partner.id}|".encode(), f"|{other.id}|".encode(), 1)
    forged_ks = base64.urlsafe_b64encode(relabelled).decode()
    assert api.call("leaderboard/list", ks=forged_ks)[0] == 401
