"""The API v3 protocol: parameters flattened with brackets or colons, from every transport and URL form;
errors as results with HTTP 200; multirequest with references to earlier results; the guide's curl example."""

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.v3.params import (
    key_path,
    merge_json,
    nest,
    path_pairs,
    resolve_references,
    split_multirequest,
)
from gameservices.settings import Settings
from tests.api.v3_client import V3, scored_leaderboard, v3_ranking, v3_test_client
from tests.conftest import Api, Partner

RANKED = [(1, "bob", 20), (2, "ann", 10)]


@pytest.fixture(scope="module")
def v3_client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with v3_test_client(engine, settings) as client:
        yield client


@pytest.fixture
def board(api: Api) -> str:
    return scored_leaderboard(api, {"ann": 1, "bob": 2})


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("ks", ["ks"]),
        ("filter[gameObjectId]", ["filter", "gameObjectId"]),
        ("a[b][c]", ["a", "b", "c"]),
        ("filter:gameObjectId", ["filter", "gameObjectId"]),
        ("1:filter[pager][pageSize]", ["1", "filter", "pager", "pageSize"]),
        ("list[]", ["list", ""]),
    ],
)
def test_key_paths(key: str, path: list[str]) -> None:
    assert key_path(key) == path


def test_nesting_flattened_keys() -> None:
    pairs = [
        ("filter[gameObjectId]", "abc"),
        ("filter:gameObjectType", "1"),
        ("pager[pageSize]", "25"),
        ("a[b][c]", "deep"),
        ("pager__null", ""),
        ("objectIds:-", ""),
        ("tags[]", "x"),
        ("tags[]", "y"),
        ("ks", "first"),
        ("ks", "second"),
    ]
    assert nest(pairs) == {
        "filter": {"gameObjectId": "abc", "gameObjectType": "1"},
        "pager": None,
        "a": {"b": {"c": "deep"}},
        "objectIds": {},
        "tags": {"0": "x", "1": "y"},
        "ks": "second",
    }


def test_keys_nested_deeper_than_any_object_are_dropped() -> None:
    assert nest([("a" + "[b]" * 40, "x"), ("c", "d")]) == {"c": "d"}


def test_json_bodies_group_their_top_level_keys_and_override() -> None:
    tree = nest([("format", "2"), ("ks", "query")])
    body = json.dumps({"ks": "body", "filter": {"gameObjectId": "x"}, "1:service": "session"}).encode()
    assert merge_json(tree, body) == {
        "format": "2",
        "ks": "body",
        "filter": {"gameObjectId": "x"},
        "1": {"service": "session"},
    }
    nulls = b'{"pager__null": "", "filter": {"userIdEqual__null": "", "advancedSearch": {"items__null": ""}}}'
    assert merge_json({}, nulls) == {
        "pager": None,
        "filter": {"userIdEqual": None, "advancedSearch": {"items": None}},
    }
    assert merge_json({"a": 1}, b"[1, 2]") == {"a": 1}
    assert merge_json({"a": 1}, b"{not json") == {"a": 1}


@pytest.mark.parametrize(
    ("path", "pairs"),
    [
        ("/service/game_userscore/action/list", [("service", "game_userscore"), ("action", "list")]),
        ("/index.php/service/session/action/start", [("service", "session"), ("action", "start")]),
        ("/service/multirequest", [("service", "multirequest")]),
        ("/index.php", []),
        ("/service/x/action", [("service", "x")]),
    ],
)
def test_path_pairs(path: str, pairs: list[tuple[str, str]]) -> None:
    assert path_pairs(path) == pairs


def test_multirequest_split_from_zero_or_one_with_common_parameters() -> None:
    params = {
        "ks": "common",
        "clientTag": "t",
        "format": "1",
        "0": {"service": "session", "action": "start"},
        "1": {"service": "game_userscore", "action": "list", "ks": "own"},
        "2": {"service": "session"},
        "3": {"service": "session", "action": "end"},
    }
    assert split_multirequest(params) == [
        {"ks": "common", "clientTag": "t", "service": "session", "action": "start"},
        {"clientTag": "t", "service": "game_userscore", "action": "list", "ks": "own"},
    ]
    assert split_multirequest({"ks": "x"}) == []


def test_references_to_earlier_results() -> None:
    results: list[Any] = [
        "the-ks",
        {"objectType": "R", "objects": [{"userId": "ann", "rank": 1, "hidden": True}], "totalCount": 2},
    ]
    request = {
        "ks": "{1:result}",
        "filter": {"userIdEqual": "{2:result:objects:0:userId}", "note": "n={2:result:totalCount}"},
        "flag": "{2:result:objects:0:hidden}",
        "missing": "{2:result:objects:5:userId}",
        "later": "{3:result}",
    }
    assert resolve_references(request, results) == {
        "ks": "the-ks",
        "filter": {"userIdEqual": "ann", "note": "n=2"},
        "flag": "1",
        "missing": "",
        "later": "{3:result}",
    }


def test_transports_give_the_same_answer(v3_client: TestClient, partner: Partner, board: str) -> None:
    common = {"ks": partner.ks, "format": "1"}
    flat = {**common, "filter[gameObjectId]": board, "filter[gameObjectType]": "1"}
    colons = {**common, "filter:gameObjectId": board, "filter:gameObjectType": "1"}
    nested = {**common, "filter": {"gameObjectId": board, "gameObjectType": 1}}
    answers = [
        v3_client.post("/api_v3/service/game_userscore/action/list", data=flat),
        v3_client.post("/api_v3/service/game_userscore/action/list", data=colons),
        v3_client.post("/api_v3/service/game_userscore/action/list", json=nested),
        v3_client.get("/api_v3/service/game_userscore/action/list", params=flat),
        v3_client.get("/api_v3/index.php", params={**flat, "service": "game_userscore", "action": "list"}),
        v3_client.post("/api_v3/", data={**colons, "service": "game_userscore", "action": "list"}),
        v3_client.post("/api_v3/index.php/service/game_userscore/action/list", data=flat),
        # Clients that upload files send the other parameters as JSON in a multipart field named "json".
        v3_client.post(
            "/api_v3/service/game_userscore/action/list",
            files={"json": (None, json.dumps(nested))},
        ),
    ]
    for response in answers:
        assert response.status_code == 200 and v3_ranking(response.json()) == RANKED, response.text


def test_xml_is_the_default_format(v3_client: TestClient, partner: Partner, board: str) -> None:
    params = {"filter[gameObjectId]": board, "filter[gameObjectType]": "1", "ks": partner.ks}
    response = v3_client.post("/api_v3/service/game_userscore/action/list", data=params)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?><xml><result><objectType>')
    root = ElementTree.fromstring(response.content)
    result = root.find("result")
    assert result is not None and result.findtext("objectType") == "KalturaUserScorePropertiesResponse"
    items = result.findall("objects/item")
    assert [(item.findtext("rank"), item.findtext("userId"), item.findtext("score")) for item in items] == [
        ("1", "bob", "20"),
        ("2", "ann", "10"),
    ]
    assert [item.findtext("objectType") for item in items] == ["KalturaUserScoreProperties"] * 2
    assert result.findtext("totalCount") == "2"
    assert float(root.findtext("executionTime") or "-1") >= 0


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/api_v3/index.php", {}, "SERVICE_NOT_SPECIFIED"),
        ("/api_v3/index.php", {"service": "session"}, "ACTION_NOT_SPECIFIED"),
        ("/api_v3/service/media/action/list", {}, "SERVICE_DOES_NOT_EXISTS"),
        ("/api_v3/service/session/action/impersonate", {}, "ACTION_DOES_NOT_EXISTS"),
        ("/api_v3/service/session/action/start", {"format": "3"}, "UNKNOWN_RESPONSE_FORMAT"),
    ],
)
def test_errors_are_results_with_status_200(
    v3_client: TestClient, path: str, params: dict[str, str], code: str
) -> None:
    response = v3_client.post(path, data=params)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    error = ElementTree.fromstring(response.content).find("result/error")
    assert error is not None and error.findtext("code") == code
    assert error.findtext("objectType") == "KalturaAPIException"


def test_a_body_that_cannot_be_read_is_answered_in_the_envelope(
    v3_client: TestClient, partner: Partner
) -> None:
    # A multipart form without its boundary: the parameters of the URL are still read.
    headers = {"Content-Type": "multipart/form-data"}
    path = "/api_v3/service/session/action/end"
    response = v3_client.post(f"{path}?format=1", content=b"x", headers=headers)
    assert response.status_code == 200 and response.json()["code"] == "MISSING_KS"
    response = v3_client.post(
        path, params={"format": "1", "ks": partner.mint()}, content=b"x", headers=headers
    )
    assert response.status_code == 200 and response.json() is None


def test_multirequest_with_references(v3_client: TestClient, partner: Partner, board: str, api: Api) -> None:
    body = {
        "format": 1,
        "0": {
            "service": "session",
            "action": "start",
            "secret": partner.secret,
            "partnerId": partner.id,
            "type": 2,
        },
        "1": {
            "service": "game_userscore",
            "action": "list",
            "ks": "{1:result}",
            "filter": {"gameObjectId": board, "gameObjectType": 1},
        },
        "2": {
            "service": "game_userscore",
            "action": "update",
            "ks": "{1:result}",
            "gameObjectId": board,
            "gameObjectType": 1,
            "userId": "{2:result:objects:1:userId}",
            "score": 99,
        },
        "3": {"service": "game_userscore", "action": "delete", "ks": "{1:result}", "gameObjectId": board},
        "4": {"service": "session", "action": "end", "ks": "{1:result}"},
    }
    started, listed, updated, failed, ended = v3_client.post("/api_v3/service/multirequest", json=body).json()
    assert isinstance(started, str) and v3_ranking(listed) == RANKED
    assert v3_ranking(updated) == [(1, "ann", 99)]
    assert failed["code"] == "MISSING_MANDATORY_PARAMETER" and failed["args"] == {
        "PARAM_NAME": "gameObjectType"
    }
    assert ended is None
    assert api.call("leaderboard/list", ks=started)[1]["args"]["ERR_DESC"] == "LOGOUT"


def test_multirequest_in_form_fields_and_xml(v3_client: TestClient, partner: Partner, board: str) -> None:
    fields = {
        "ks": partner.ks,
        "1:service": "game_userscore",
        "1:action": "list",
        "1:filter:gameObjectId": board,
        "1:filter:gameObjectType": "1",
        "2:service": "game_userscore",
        "2:action": "list",
        "2:filter[gameObjectId]": board,
    }
    response = v3_client.post("/api_v3/service/multirequest", data=fields)
    items = ElementTree.fromstring(response.content).findall("result/item")
    assert len(items) == 2 and items[0].findtext("objectType") == "KalturaUserScorePropertiesResponse"
    assert items[1].findtext("error/code") == "GAME_OBJECT_TYPE_REQUIRED"


def test_the_guides_curl_example_of_section_10_5(v3_client: TestClient, partner: Partner, board: str) -> None:
    # Exactly what `curl -X POST "$KALTURA_SERVICE_URL/service/leaderboard_userscore/action/list" -d ...` sends.
    body = (
        f"ks={partner.ks}&format=1&filter[objectType]=KalturaUserScorePropertiesFilter&filter[gameObjectType]=1"
        f"&filter[gameObjectId]={board}&pager[pageSize]=25&pager[pageIndex]=1"
    )
    response = v3_client.post(
        "/api_v3/service/leaderboard_userscore/action/list",
        content=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200 and v3_ranking(response.json()) == RANKED
    assert V3(v3_client, partner.ks).list_scores(board, {"pageSize": 25, "pageIndex": 1}) == response.json()
