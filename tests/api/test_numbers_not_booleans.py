"""JSON's true and false are not numbers: every numeric field of a request body refuses them (a 400 naming the
field, nothing written), as rules and game objects already do (tests/api/test_game_objects.py)."""

from typing import Any

import pytest

from tests.api import guide_bodies as guide
from tests.conftest import Api

OBJECT_ID = "0" * 24
# (route, body without the field, dotted path of the field): every list route's pager, and the other numbers.
PAGED_ROUTES = [
    ("leaderboard/list", {}),
    ("badge/list", {}),
    ("certificate/list", {}),
    ("leadScoring/list", {}),
    ("rule/list", {}),
    ("scheduledGameObject/list", {}),
    ("userProfile/list", {}),
    ("entry/list", {}),
    ("displayLink/list", {}),
    ("webhook/list", {}),
    ("webhookDelivery/list", {}),
    ("userScore/list", {"gameObjectId": OBJECT_ID}),
    ("userBadge/list", {"gameObjectId": OBJECT_ID}),
    ("userCertificateReport/list", {"gameObjectId": OBJECT_ID}),
    ("userLeadScoring/list", {"gameObjectId": OBJECT_ID}),
    ("userScore/explain", {"gameObjectId": OBJECT_ID, "userId": "ada"}),
]
FIELDS = [
    *[(route, body, f"pager.{name}") for route, body in PAGED_ROUTES for name in ("pageSize", "pageIndex")],
    ("userScore/list", {"gameObjectId": OBJECT_ID, "userIdEqual": "ada"}, "placesAboveUser"),
    ("userScore/list", {"gameObjectId": OBJECT_ID, "userIdEqual": "ada"}, "placesBelowUser"),
    ("userScore/list", {"gameObjectId": OBJECT_ID}, "subGameProperties.id"),
    ("userScore/getSubGameOptions", {"gameObjectId": OBJECT_ID}, "subGameId"),
    ("rule/simulate", {"gameObjectId": OBJECT_ID}, "top"),
    ("rule/simulate", {"gameObjectId": OBJECT_ID}, "fromTime"),
    ("rule/simulate", {"gameObjectId": OBJECT_ID}, "toTime"),
    ("displayLink/create", {"gameObjectId": OBJECT_ID}, "top"),
    ("displayLink/create", {"gameObjectId": OBJECT_ID}, "subLeaderboardId"),
    ("entry/upsert", {"entryId": "0_e1"}, "duration"),
]


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of body with value at a dotted path (parents made as needed)."""
    body = {**body}
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node[part] = {**node.get(part, {})}
        node = node[part]
    node[last] = value
    return body


def _nothing_written(api: Api) -> None:
    for route in ("displayLink/list", "entry/list", "leaderboard/list"):
        assert api.ok(route)["totalCount"] == 0, route


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize(("route", "body", "path"), FIELDS)
def test_a_boolean_is_not_a_number(
    api: Api, route: str, body: dict[str, Any], path: str, value: bool
) -> None:
    status, error = api.call(route, _with(body, path, value))
    assert (status, error["code"], error["args"]["PARAM_NAME"]) == (400, "VALIDATION_ERROR", path), error
    assert "not true or false" in error["message"] or path in ("fromTime", "toTime"), error["message"]
    _nothing_written(api)


@pytest.mark.parametrize(
    ("route", "body", "path", "number"),
    [
        ("userScore/list", {"gameObjectId": OBJECT_ID}, "pager.pageSize", 5),
        ("userScore/list", {"gameObjectId": OBJECT_ID, "userIdEqual": "ada"}, "placesAboveUser", 1),
        ("entry/list", {}, "pager.pageIndex", 2),
        ("rule/simulate", {"gameObjectId": OBJECT_ID}, "fromTime", 1),
    ],
)
def test_the_same_fields_still_take_numbers(
    api: Api, route: str, body: dict[str, Any], path: str, number: int
) -> None:
    status, answer = api.call(route, _with(body, path, number))
    # The body is read; what follows is the route's own answer (an unknown game object here).
    assert status in (200, 404), answer


def test_an_update_of_a_number_to_a_boolean_changes_nothing(api: Api) -> None:
    board = api.ok("leaderboard/create", guide.leaderboard_4_2())["id"]
    link = api.ok("displayLink/create", {"gameObjectId": board, "top": 5})
    entry = api.ok("entry/upsert", {"entryId": "0_e1", "duration": 60})
    status, error = api.call("entry/upsert", {"entryId": "0_e1", "duration": True})
    assert (status, error["args"]["PARAM_NAME"]) == (400, "duration"), error
    assert api.ok("entry/get", {"entryId": "0_e1"}) == entry
    listed = api.ok("displayLink/list")
    assert (listed["totalCount"], listed["objects"][0]["top"]) == (1, 5), listed
    assert listed["objects"][0]["id"] == link["id"]


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_no_virtual_event_id(api: Api, value: bool) -> None:
    # Numbers name virtual events as their text does ("7001"); a boolean names none (it was read as "True").
    status, error = api.call("leaderboard/create", {**guide.leaderboard_4_2(), "virtualEventIds": [value]})
    expected = (400, "VALIDATION_ERROR", "virtualEventIds.0")
    assert (status, error["code"], error["args"]["PARAM_NAME"]) == expected, error
    status, error = api.call("leaderboard/list", {"virtualEventIdIn": [value]})
    assert (status, error["code"]) == (400, "VALIDATION_ERROR"), error
    _nothing_written(api)
