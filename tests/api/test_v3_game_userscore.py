"""API v3 ``game_userscore`` (and ``leaderboard_userscore``) in-process, on every database: the same ranks and
scores as API v1, scores set and removed by hand, the game plugin's errors, permissions and tenancy."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.services.access.partner import define_role
from gameservices.settings import Settings
from gameservices.storage.database import write_transaction
from tests.api.v3_client import V3, scored_leaderboard, v1_ranking, v3_ranking, v3_test_client
from tests.conftest import Api, Partner

# Ten points an event: "bea" and "dan" tie at 50 and "bea", fed first, reached it first.
EVENTS = {"amy": 3, "bea": 5, "cal": 1, "dan": 5, "eve": 2, "fay": 4}
RANKED = [(1, "bea", 50), (2, "dan", 50), (3, "fay", 40), (4, "amy", 30), (5, "eve", 20), (6, "cal", 10)]
UNKNOWN = "0123456789abcdef01234567"


@pytest.fixture(scope="module")
def v3_client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with v3_test_client(engine, settings) as client:
        yield client


@pytest.fixture
def v3(v3_client: TestClient, partner: Partner) -> V3:
    return V3(v3_client, partner.ks)


@pytest.fixture
def board(api: Api) -> str:
    return scored_leaderboard(api, EVENTS)


def test_list_equals_api_v1(api: Api, v3: V3, board: str) -> None:
    assert v1_ranking(api, board) == RANKED
    assert v3_ranking(v3.list_scores(board)) == RANKED
    assert v3.list_scores(board)["totalCount"] == 6


@pytest.mark.parametrize(
    ("pager", "expected"),
    [
        ({"pageSize": 2, "pageIndex": 1}, RANKED[0:2]),
        ({"pageSize": 2, "pageIndex": 3}, RANKED[4:6]),
        ({"pageSize": 4, "pageIndex": 2}, RANKED[4:6]),
        ({"pageSize": 2, "pageIndex": 9}, []),
        # KalturaFilterPager: a size of 0 or less is the default 30, an index under 1 is the first page.
        ({"pageSize": 0, "pageIndex": 0}, RANKED),
        ({"pageSize": 1000}, RANKED),
    ],
)
def test_pager_pages_like_api_v1(
    api: Api, v3: V3, board: str, pager: dict[str, Any], expected: list[Any]
) -> None:
    answer = v3.list_scores(board, pager)
    assert v3_ranking(answer) == expected and answer["totalCount"] == 6
    if pager.get("pageSize", 0) > 0 and pager.get("pageIndex", 0) > 0 and pager["pageSize"] <= 500:
        assert v1_ranking(api, board, pager=pager) == expected


@pytest.mark.parametrize(
    ("user", "above", "below", "expected"),
    [
        ("amy", 1, 1, RANKED[2:5]),
        ("amy", 0, 0, RANKED[3:4]),
        ("bea", 2, 1, RANKED[0:2]),
        ("cal", 2, 3, RANKED[3:6]),
        ("fay", 10, 10, RANKED),
        ("nobody", 1, 1, []),
    ],
)
def test_neighbourhood_equals_api_v1(
    api: Api, v3: V3, board: str, user: str, above: int, below: int, expected: list[Any]
) -> None:
    criteria = {"userIdEqual": user, "placesAboveUser": above, "placesBelowUser": below}
    assert v1_ranking(api, board, **criteria) == expected
    assert v3_ranking(v3.list_scores(board, **criteria)) == expected


def test_neighbourhood_is_paged_by_the_pager(v3: V3, board: str) -> None:
    criteria = {"userIdEqual": "amy", "placesAboveUser": 2, "placesBelowUser": 2}
    assert v3_ranking(v3.list_scores(board, {"pageSize": 2, "pageIndex": 2}, **criteria)) == RANKED[3:5]


def test_older_service_name_answers_the_same(v3: V3, board: str) -> None:
    params = {"filter": {"gameObjectType": "1", "gameObjectId": board}}
    assert v3.call("leaderboard_userscore", "list", params) == v3.list_scores(board)


@pytest.mark.parametrize("game_object_type", ["1", "leaderboard", "LEADERBOARD", " Leaderboard "])
def test_game_object_type_by_number_or_name(v3: V3, board: str, game_object_type: str) -> None:
    assert v3_ranking(v3.list_scores(board, gameObjectType=game_object_type)) == RANKED


def test_update_sets_the_score_api_v1_shows(api: Api, v3: V3, board: str) -> None:
    answer = v3.call(
        "game_userscore",
        "update",
        {"gameObjectId": board, "gameObjectType": "1", "userId": "cal", "score": 45},
    )
    assert answer == {
        "objects": [
            {
                "rank": 3,
                "userId": "cal",
                "puserId": "cal",
                "score": 45,
                "objectType": "KalturaUserScoreProperties",
            }
        ],
        "totalCount": 1,
        "objectType": "KalturaUserScorePropertiesResponse",
    }
    assert v1_ranking(api, board)[2] == (3, "cal", 45)
    assert api.ok("userScore/get", {"gameObjectId": board, "userId": "cal"})["score"] == 45


def test_update_of_a_new_user_adds_them(api: Api, v3: V3, board: str) -> None:
    params = {"gameObjectId": board, "gameObjectType": "1", "userId": "gus", "score": "100"}
    assert v3_ranking(v3.call("game_userscore", "update", params)) == [(1, "gus", 100)]
    assert v1_ranking(api, board)[0] == (1, "gus", 100)
    assert v3.list_scores(board)["totalCount"] == 7


def test_delete_removes_the_user_and_answers_what_they_had(api: Api, v3: V3, board: str) -> None:
    params = {"gameObjectId": board, "gameObjectType": "1", "userId": "fay"}
    assert v3_ranking(v3.call("game_userscore", "delete", params)) == [(3, "fay", 40)]
    assert [user for _, user, _ in v1_ranking(api, board)] == ["bea", "dan", "amy", "eve", "cal"]
    again = v3.call("game_userscore", "delete", params)
    assert again["code"] == "USER_ID_NOT_FOUND" and again["args"] == {"USER_ID": "fay"}
    assert again["message"] == "userId [fay] not found"


@pytest.mark.parametrize(
    ("action", "params", "code", "args"),
    [
        ("list", {}, "MISSING_MANDATORY_PARAMETER", {"PARAM_NAME": "filter"}),
        (
            "list",
            {"filter": "text"},
            "PROPERTY_VALIDATION_WRONG_FORMAT",
            {"PROP_NAME": "filter", "FORMAT": "array"},
        ),
        ("list", {"filter": {"gameObjectType": "1"}}, "GAME_OBJECT_ID_REQUIRED", []),
        ("list", {"filter": {"gameObjectId": "{board}"}}, "GAME_OBJECT_TYPE_REQUIRED", []),
        (
            "list",
            {"filter": {"gameObjectId": "{board}", "gameObjectType": "7"}},
            "INVALID_ENUM_VALUE",
            {"ENUM_VAL": "7", "PARAM_NAME": "gameObjectType", "ENUM_TYPE": "KalturaGameObjectType"},
        ),
        (
            "list",
            {"filter": {"gameObjectId": "{board}", "gameObjectType": "1", "placesAboveUser": "x"}},
            "PROPERTY_VALIDATION_NUMERIC_VALUE",
            {"PROP_NAME": "placesAboveUser"},
        ),
        (
            "list",
            {"filter": {"gameObjectId": "{board}", "gameObjectType": "1", "placesBelowUser": 501}},
            "PROPERTY_VALIDATION_MAX_VALUE",
            {"PROP_NAME": "placesBelowUser", "MAX_VAL": "500"},
        ),
        (
            "list",
            {"filter": {"gameObjectId": UNKNOWN, "gameObjectType": "1"}},
            "OBJECT_NOT_FOUND",
            {"ID": UNKNOWN},
        ),
        (
            "list",
            {"filter": {"gameObjectId": "{board}", "gameObjectType": "badge"}},
            "VALIDATION_ERROR",
            None,
        ),
        (
            "update",
            {"gameObjectType": "1", "userId": "u", "score": 1},
            "MISSING_MANDATORY_PARAMETER",
            {"PARAM_NAME": "gameObjectId"},
        ),
        (
            "update",
            {"gameObjectId": "{board}", "gameObjectType": "1", "userId": "u"},
            "MISSING_MANDATORY_PARAMETER",
            {"PARAM_NAME": "score"},
        ),
        (
            "update",
            {"gameObjectId": "{board}", "gameObjectType": "1", "userId": "", "score": 1},
            "USER_ID_EQUAL_REQUIRED",
            [],
        ),
        (
            "update",
            {"gameObjectId": "{board}", "gameObjectType": "1", "userId": "u", "score": "ten"},
            "PROPERTY_VALIDATION_NUMERIC_VALUE",
            {"PROP_NAME": "score"},
        ),
        (
            "update",
            {"gameObjectId": "{board}", "gameObjectType": "1", "userId": "u", "score": 2**53 + 1},
            "PROPERTY_VALIDATION_MAX_VALUE",
            {"PROP_NAME": "score", "MAX_VAL": str(2**53)},
        ),
        (
            "update",
            {"gameObjectId": "{board}", "gameObjectType": "1", "userId": "u\u0001", "score": 1},
            "INVALID_PARAMETER_CHAR",
            {"XML_FIELD": "userId"},
        ),
        (
            "update",
            {"gameObjectId": "{board}", "gameObjectType": "1", "userId": "u" * 257, "score": 1},
            "PROPERTY_VALIDATION_MAX_LENGTH",
            {"PROP_NAME": "userId", "MAX_LEN": "256"},
        ),
        (
            "delete",
            {"gameObjectId": "{board}", "gameObjectType": "1"},
            "MISSING_MANDATORY_PARAMETER",
            {"PARAM_NAME": "userId"},
        ),
        (
            "delete",
            {"gameObjectId": "{board}", "gameObjectType": "1", "userId": "nobody"},
            "USER_ID_NOT_FOUND",
            {"USER_ID": "nobody"},
        ),
        ("clear", {}, "ACTION_DOES_NOT_EXISTS", {"ACTION_NAME": "clear", "SERVICE_NAME": "game_userscore"}),
    ],
)
def test_errors_are_the_game_plugins(
    v3: V3, board: str, action: str, params: dict[str, Any], code: str, args: Any
) -> None:
    filled = _fill(params, board)
    answer = v3.call("game_userscore", action, filled)
    assert answer["objectType"] == "KalturaAPIException" and answer["code"] == code, answer
    if args is not None:
        assert answer["args"] == args


def test_errors_change_nothing(api: Api, v3: V3, board: str) -> None:
    v3.call(
        "game_userscore",
        "update",
        {"gameObjectId": board, "gameObjectType": "1", "userId": "amy", "score": "x"},
    )
    v3.call("game_userscore", "delete", {"gameObjectId": board, "gameObjectType": "7", "userId": "amy"})
    assert v1_ranking(api, board) == RANKED


def test_ks_is_checked_as_in_api_v1(v3: V3, partner: Partner, board: str) -> None:
    params = {"filter": {"gameObjectType": "1", "gameObjectId": board}}
    assert v3.call("game_userscore", "list", params, ks="")["code"] == "MISSING_KS"
    invalid = v3.call("game_userscore", "list", params, ks=partner.mint(expiry_seconds=-5))
    assert invalid["code"] == "INVALID_KS" and invalid["args"]["ERR_CODE"] == "-5"
    forbidden = v3.call("game_userscore", "list", params, ks=partner.mint(type=0, user_id="viewer"))
    assert forbidden["code"] == "SERVICE_FORBIDDEN"
    assert forbidden["args"] == {"SERVICE": "game_userscore->list"}
    assert forbidden["message"] == "The access to service [game_userscore->list] is forbidden"


def test_a_reading_role_lists_but_cannot_change(v3: V3, partner: Partner, engine: Engine, board: str) -> None:
    with write_transaction(engine) as conn:
        define_role(conn, partner_id=partner.id, role_id="viewer", name="Viewer", permissions=["GAME_BASE"])
    viewer = partner.mint(privileges="setrole:viewer")
    assert v3_ranking(V3(v3.client, viewer).list_scores(board)) == RANKED
    for action in ("update", "delete"):
        params = {"gameObjectId": board, "gameObjectType": "1", "userId": "amy", "score": 1}
        denied = v3.call("game_userscore", action, params, ks=viewer)
        assert denied["code"] == "SERVICE_FORBIDDEN" and denied["args"] == {
            "SERVICE": f"game_userscore->{action}"
        }


def test_another_partners_ks_gets_nothing_of_ours(api: Api, v3: V3, board: str, new_partner: Any) -> None:
    intruder = V3(v3.client, new_partner().ks)
    for action, params in (
        ("list", {"filter": {"gameObjectId": "{board}", "gameObjectType": "1"}}),
        ("update", {"gameObjectId": "{board}", "gameObjectType": "1", "userId": "amy", "score": 999}),
        ("delete", {"gameObjectId": "{board}", "gameObjectType": "1", "userId": "amy"}),
    ):
        answer = intruder.call("game_userscore", action, _fill(params, board))
        unknown = intruder.call("game_userscore", action, _fill(params, UNKNOWN))
        assert answer["code"] == "OBJECT_NOT_FOUND" and answer["args"] == {"ID": board}, answer
        assert answer["message"].replace(board, UNKNOWN) == unknown["message"]
    assert v1_ranking(api, board) == RANKED


def _fill(params: dict[str, Any], board: str) -> dict[str, Any]:
    """The parameters with the placeholder ``{board}`` replaced by a game-object id."""
    return {
        name: _fill(value, board) if isinstance(value, dict) else board if value == "{board}" else value
        for name, value in params.items()
    }


@pytest.mark.parametrize("text", ["true", "false"])
@pytest.mark.parametrize(
    ("action", "where", "name"),
    [
        ("update", None, "score"),
        ("list", "pager", "pageSize"),
        ("list", "pager", "pageIndex"),
        ("list", "filter", "placesAboveUser"),
        ("list", "filter", "placesBelowUser"),
    ],
)
def test_true_as_text_is_no_number(
    api: Api, v3: V3, board: str, action: str, where: str | None, name: str, text: str
) -> None:
    # A form parameter is text: "true" is refused as any text that is no number, never read as 1 or 0.
    target = {"gameObjectId": board, "gameObjectType": "1"}
    if where is None:
        params: dict[str, Any] = {**target, "userId": "amy", name: text}
    else:
        params = {"filter": {**target, "userIdEqual": "amy"}}
        params[where] = {**params.get(where, {}), name: text}
    answer = v3.call("game_userscore", action, params)
    refused = ("PROPERTY_VALIDATION_NUMERIC_VALUE", {"PROP_NAME": name})
    assert (answer["code"], answer["args"]) == refused, answer
    assert v1_ranking(api, board) == RANKED
