"""The ``scheduledGameObject`` controller's CRUD (guide section 13)."""

from tests.api import guide_bodies as guide
from tests.conftest import Api


def test_guide_13_schedules(api: Api) -> None:
    leaderboard = api.ok("leaderboard/create", guide.leaderboard_4_2())
    enable = api.ok(
        "scheduledGameObject/create", guide.schedule_13(leaderboard["id"], "enable", "2025-06-01T09:00:00Z")
    )
    disable = api.ok(
        "scheduledGameObject/create", guide.schedule_13(leaderboard["id"], "disable", "2025-06-03T18:00:00Z")
    )
    assert enable["objectType"] == "ScheduledGameObject" and enable["status"] == "pending"
    assert enable["scheduledDate"] == "2025-06-01T09:00:00.000Z" and enable["executedAt"] is None
    listed = api.ok("scheduledGameObject/list", {"pager": {"pageSize": 10, "pageIndex": 1}})
    assert listed["totalCount"] == 2
    by_date = api.ok("scheduledGameObject/list", {"orderBy": "+scheduledDate"})
    assert [item["id"] for item in by_date["objects"]] == [enable["id"], disable["id"]]
    moved = api.ok(
        "scheduledGameObject/update", {"id": disable["id"], "scheduledDate": "2025-06-04T00:00:00Z"}
    )
    assert moved["scheduledDate"] == "2025-06-04T00:00:00.000Z" and moved["scheduledAction"] == "disable"
    assert api.ok("scheduledGameObject/delete", {"id": disable["id"]}) == {
        "id": disable["id"],
        "deleted": True,
    }
    assert api.ok("scheduledGameObject/get", {"id": disable["id"]})["status"] == "cancelled"
    status, _ = api.call("scheduledGameObject/update", {"id": disable["id"], "scheduledAction": "enable"})
    assert status == 409


def test_schedule_needs_an_existing_object_of_its_type(api: Api) -> None:
    badge = api.ok("badge/create", guide.badge_7_1())
    status, error = api.call(
        "scheduledGameObject/create", guide.schedule_13(badge["id"], "enable", "2030-01-01T00:00:00Z")
    )
    assert status == 400 and error["args"]["PARAM_NAME"] == "gameObjectType"
    status, error = api.call(
        "scheduledGameObject/create",
        guide.schedule_13("0123456789abcdef01234567", "enable", "2030-01-01T00:00:00Z"),
    )
    assert status == 404
    status, error = api.call(
        "scheduledGameObject/create", guide.schedule_13(badge["id"], "pause", "2030-01-01")
    )
    assert (
        status == 400
        and error["code"] == "INVALID_ENUM_VALUE"
        and error["args"]["PARAM_NAME"] == "scheduledAction"
    )


def test_deleting_the_object_cancels_its_schedules(api: Api) -> None:
    leaderboard = api.ok("leaderboard/create", guide.leaderboard_4_2())
    schedule = api.ok(
        "scheduledGameObject/create", guide.schedule_13(leaderboard["id"], "enable", "2030-01-01T00:00:00Z")
    )
    api.ok("leaderboard/delete", {"id": leaderboard["id"]})
    assert api.ok("scheduledGameObject/get", {"id": schedule["id"]})["status"] == "cancelled"


def test_schedule_list_takes_its_game_object_under_filter_too(api: Api) -> None:
    leaderboard = api.ok("leaderboard/create", guide.leaderboard_4_2())
    other = api.ok("leaderboard/create", guide.leaderboard_4_2())
    wanted = api.ok(
        "scheduledGameObject/create", guide.schedule_13(leaderboard["id"], "enable", "2030-01-01T00:00:00Z")
    )
    api.ok("scheduledGameObject/create", guide.schedule_13(other["id"], "enable", "2030-01-01T00:00:00Z"))
    listed = api.ok(
        "scheduledGameObject/list",
        {"filter": {"gameObjectType": "leaderboard", "gameObjectId": leaderboard["id"]}},
    )
    assert [item["id"] for item in listed["objects"]] == [wanted["id"]]


def test_update_moves_a_transition_to_the_first_instant_of_1970(api: Api) -> None:
    leaderboard = api.ok("leaderboard/create", guide.leaderboard_4_2())
    schedule = api.ok(
        "scheduledGameObject/create", guide.schedule_13(leaderboard["id"], "enable", "2030-01-01T00:00:00Z")
    )
    moved = api.ok(
        "scheduledGameObject/update", {"id": schedule["id"], "scheduledDate": "1970-01-01T00:00:00Z"}
    )
    assert moved["scheduledDate"] == "1970-01-01T00:00:00.000Z"
    assert (
        api.ok("scheduledGameObject/get", {"id": schedule["id"]})["scheduledDate"]
        == "1970-01-01T00:00:00.000Z"
    )


def test_update_refuses_null_for_the_action_and_the_date(api: Api) -> None:
    leaderboard = api.ok("leaderboard/create", guide.leaderboard_4_2())
    schedule = api.ok(
        "scheduledGameObject/create", guide.schedule_13(leaderboard["id"], "enable", "2030-06-01T09:00:00Z")
    )
    for field in ("scheduledAction", "scheduledDate"):
        status, error = api.call("scheduledGameObject/update", {"id": schedule["id"], field: None})
        assert (status, error["code"], error["args"]["PARAM_NAME"]) == (400, "VALIDATION_ERROR", field), error
        status, error = api.call(
            "scheduledGameObject/update", {"id": schedule["id"], "scheduledAction": "disable", field: None}
        )
        assert (status, error["args"]["PARAM_NAME"]) == (400, field), error
    assert api.ok("scheduledGameObject/get", {"id": schedule["id"]}) == schedule
