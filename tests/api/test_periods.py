"""Recurring leaderboard periods through the API: the recurrence on leaderboards, its checks and the current
period in answers (docs/periods.md)."""

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from gameservices.domain.periods import SINCE_FIELD
from gameservices.storage.database import read_transaction
from gameservices.storage.game_objects import get_game_object
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner

WEEKLY = {"unit": "week", "interval": 1, "anchor": "2025-06-02T00:00:00", "timezone": "Europe/Berlin"}


def recurring(**recurrence: Any) -> dict[str, Any]:
    """A leaderboard running 2025-05-01 .. 2035-01-01 with a recurrence (weekly in Berlin unless told)."""
    body = guide.leaderboard_4_2()
    body.update(status="enabled", startDate="2025-05-01T00:00:00Z", endDate="2035-01-01T00:00:00Z")
    body["recurrence"] = {**WEEKLY, **recurrence}
    return body


def test_recurrence_is_stored_with_its_defaults_and_periods_in_answers(api: Api) -> None:
    created = api.ok("leaderboard/create", recurring())
    assert created["recurrence"] == {**WEEKLY, "graceSeconds": 60}
    assert "_periodsSince" not in created
    current = created["currentPeriod"]
    assert created["nextResetAt"] == current["endsAt"] and created["prevResetAt"] == current["startsAt"]
    assert current["startsAt"] < current["endsAt"]
    # Mondays at local midnight: 22:00Z in summer, 23:00Z in winter.
    assert current["startsAt"][11:] in ("22:00:00.000Z", "23:00:00.000Z")
    fetched = api.ok("leaderboard/get", {"id": created["id"]})
    assert fetched["currentPeriod"] == current
    listed = api.ok("leaderboard/list", {"idIn": created["id"]})
    assert listed["objects"][0]["currentPeriod"]["index"] == current["index"]


def test_a_leaderboard_without_recurrence_answers_as_before(api: Api) -> None:
    created = api.ok("leaderboard/create", guide.leaderboard_4_2())
    assert "recurrence" not in created and "currentPeriod" not in created and "nextResetAt" not in created


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Europe/Nowhere"}, "recurrence.timezone"),
        ({"timezone": "../../etc/passwd"}, "recurrence.timezone"),
        # The machine's own zone (a link among the system's zone files): machines would disagree on it.
        ({"timezone": "localtime"}, "recurrence.timezone"),
        ({"interval": 0}, "recurrence.interval"),
        ({"unit": "year"}, "recurrence.unit"),
        ({"anchor": "2020-01-01T00:00:00"}, "recurrence.anchor"),
        ({"anchor": "2040-01-01T00:00:00"}, "recurrence.anchor"),
        ({"anchor": "2025-06-02T00:00:00+02:00"}, "recurrence.anchor"),
        ({"anchor": "next monday"}, "recurrence.anchor"),
        ({"graceSeconds": -1}, "recurrence.graceSeconds"),
    ],
)
def test_a_bad_recurrence_is_refused_naming_the_field(api: Api, change: dict[str, Any], field: str) -> None:
    status, error = api.call("leaderboard/create", recurring(**change))
    assert status == 400, error
    assert error["objectType"] == "KalturaAPIException" and field in str(error["args"]) + error["message"]
    assert api.ok("leaderboard/list")["totalCount"] == 0


def test_update_sets_changes_and_removes_the_recurrence(api: Api) -> None:
    created = api.ok("leaderboard/create", guide.leaderboard_4_2() | {"endDate": "2035-01-01T00:00:00Z"})
    status, error = api.call(
        "leaderboard/update", {"id": created["id"], "recurrence": {**WEEKLY, "timezone": "Mars/Olympus"}}
    )
    assert status == 400 and "recurrence.timezone" in str(error)
    updated = api.ok("leaderboard/update", {"id": created["id"], "recurrence": {**WEEKLY, "unit": "day"}})
    assert updated["recurrence"]["unit"] == "day" and "currentPeriod" in updated
    status, error = api.call("leaderboard/update", {"id": created["id"], "endDate": "2025-06-01T10:00:00Z"})
    assert status == 400 and "recurrence.anchor" in str(error)
    cleared = api.ok("leaderboard/update", {"id": created["id"], "recurrence": None})
    assert "recurrence" not in cleared and "currentPeriod" not in cleared


def test_a_clone_starts_its_own_periods(api: Api, engine: Engine, partner: Partner) -> None:
    source = api.ok("leaderboard/create", guide.leaderboard_4_2() | {"endDate": "2035-01-01T00:00:00Z"})
    # A calendar given by an update starts the periods from then (a server-owned field of the source).
    api.ok("leaderboard/update", {"id": source["id"], "recurrence": WEEKLY})
    copy = api.ok("leaderboard/clone", {"id": source["id"]})
    assert copy["recurrence"] == {**WEEKLY, "graceSeconds": 60} and "currentPeriod" in copy
    with read_transaction(engine) as conn:
        stored_source = get_game_object(conn, partner_id=partner.id, object_id=source["id"])
        stored_copy = get_game_object(conn, partner_id=partner.id, object_id=copy["id"])
    assert stored_source is not None and SINCE_FIELD in stored_source.data
    assert stored_copy is not None and SINCE_FIELD not in stored_copy.data


def points_rule(leaderboard_id: str) -> dict[str, Any]:
    """A rule giving each user the `points` of their `act` events."""
    return {
        "gameObjectType": "leaderboard",
        "gameObjectId": leaderboard_id,
        "name": "Points",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "act"}],
        "type": "sum",
        "mode": "distribute_points",
        "metric": "points",
        "groupBy": "kuserId",
        "goal": "1",
        "points": "1",
        "maxPoints": "unlimited",
    }


def act(user_id: str, points: int, at_ms: int) -> dict[str, Any]:
    return {"eventType": "act", "userId": user_id, "points": points, "eventTime": at_ms / 1000}


def scores(api: Api, leaderboard_id: str, period: object = None) -> dict[str, float]:
    body: dict[str, Any] = {"gameObjectId": leaderboard_id, "pager": {"pageSize": 500}}
    if period is not None:
        body["period"] = period
    return {item["userId"]: item["score"] for item in api.ok("userScore/list", body)["objects"]}


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def test_events_count_in_the_period_holding_their_time(api: Api) -> None:
    # Daily periods from 2025-06-01 00:00 in Berlin; every period so far ended before the leaderboard was made,
    # so none of them closes and all take these back-filled events.
    board = api.ok("leaderboard/create", recurring(unit="day", anchor="2025-06-01T00:00:00"))
    api.ok("rule/create", points_rule(board["id"]))
    end_of_0 = ms("2025-06-02T00:00:00+02:00")
    api.ok(
        "event/send",
        {
            "events": [
                act("ann", 1, end_of_0 - 1),
                act("ann", 10, end_of_0),
                act("bob", 100, end_of_0 - 86_400_000 - 1000),  # before the anchor: period 0
                act("bob", 5, ms("2025-06-03T12:00:00+02:00")),
            ]
        },
    )
    assert scores(api, board["id"], 0) == {"ann": 1, "bob": 100}
    assert scores(api, board["id"], 1) == {"ann": 10}
    assert scores(api, board["id"], 2) == {"bob": 5}
    assert scores(api, board["id"], "all") == {"bob": 105, "ann": 11}
    assert scores(api, board["id"]) == {}  # the current period: nobody yet
    assert scores(api, board["id"], "current") == {}
    got = api.ok("userScore/get", {"gameObjectId": board["id"], "userId": "bob", "period": 2})
    assert got["score"] == 5 and got["rank"] == 1
    status, error = api.call("userScore/get", {"gameObjectId": board["id"], "userId": "bob"})
    assert status == 404 and error["code"] == "USER_ID_NOT_FOUND"
    assert (
        api.ok("userScore/get", {"gameObjectId": board["id"], "userId": "bob", "period": "all"})["score"]
        == 105
    )


def test_period_is_refused_on_a_leaderboard_without_recurrence_beyond_its_one_period(api: Api) -> None:
    board = api.ok("leaderboard/create", guide.leaderboard_4_2())
    for period in (None, "current", "all", 0):
        assert scores(api, board["id"], period) == {}
    for period in ("previous", 3):
        status, error = api.call("userScore/list", {"gameObjectId": board["id"], "period": period})
        assert status == 400 and error["args"]["PARAM_NAME"] == "period"
    status, error = api.call("userScore/list", {"gameObjectId": board["id"], "period": "last"})
    assert status == 400
    status, error = api.call("userScore/list", {"gameObjectId": board["id"], "period": -1})
    assert status == 400


@pytest.mark.parametrize(
    "period", ["last", "", -1, 100_000_001, 10**30, "9" * 5000, 1.5, "1.5", True, [], {}]
)
def test_a_bad_period_is_refused_naming_period_on_every_route(api: Api, period: object) -> None:
    board = api.ok("leaderboard/create", recurring())
    bodies = {
        "userScore/list": {},
        "userScore/get": {"userId": "ann"},
        "userScore/ruleProgress": {"userId": "ann"},
        "userScore/getSubGameOptions": {"subGameId": 0},
        "report/generate": {"reportType": "userScore"},
    }
    answers = []
    for route, body in bodies.items():
        status, error = api.call(route, {"gameObjectId": board["id"], "period": period, **body})
        assert status == 400 and error["args"]["PARAM_NAME"] == "period", (route, error)
        answers.append((error["code"], error["message"]))
    assert len(set(answers)) == 1


def test_sub_leaderboards_rank_one_period(api: Api) -> None:
    body = recurring(unit="day", anchor="2025-06-01T00:00:00")
    body["subLeaderboards"] = [{"name": "By Country", "filterPaths": ["country"], "id": 0}]
    board = api.ok("leaderboard/create", body)
    api.ok("rule/create", points_rule(board["id"]))
    for user, country in (("ann", "FR"), ("bob", "DE"), ("cid", "FR")):
        api.ok("userProfile/upsert", {"userId": user, "profileData": {"country": country}})
    day_0, day_1 = ms("2025-06-01T12:00:00+02:00"), ms("2025-06-02T12:00:00+02:00")
    api.ok(
        "event/send",
        {"events": [act("ann", 5, day_0), act("bob", 7, day_0), act("cid", 4, day_1), act("bob", 1, day_1)]},
    )

    def teams(period: object) -> list[tuple[str, float]]:
        body = {"gameObjectId": board["id"], "subGameProperties": {"id": 0}, "period": period}
        return [(item["option"], item["score"]) for item in api.ok("userScore/list", body)["objects"]]

    assert teams(0) == [("DE", 7), ("FR", 5)]
    assert teams(1) == [("FR", 4), ("DE", 1)]
    assert teams("all") == [("FR", 9), ("DE", 8)]
    inside = api.ok(
        "userScore/list",
        {"gameObjectId": board["id"], "subGameProperties": {"id": 0, "option": "FR"}, "period": 1},
    )
    assert [(item["userId"], item["rank"]) for item in inside["objects"]] == [("cid", 1)]
    options = api.ok(
        "userScore/getSubGameOptions", {"gameObjectId": board["id"], "subGameId": 0, "period": 0}
    )
    assert options["objects"] == [{"option": "DE", "userCount": 1}, {"option": "FR", "userCount": 1}]
