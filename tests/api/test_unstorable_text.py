"""Text no database stores (a NUL character, a lone UTF-16 surrogate) is refused wherever a request carries it:
a 400 naming the field in any API v1 body, the one event that holds it in event/send (the others applied), an
INVALID_PARAMETER_CHAR result in API v3; never a 500, and nothing written. JSON carries such text as an escape
(``"\\ud800"``) or, for surrogates, as raw bytes the standard library's parser lets through."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.api import guide_bodies as guide
from tests.conftest import Api

LONE_SURROGATES = ["\ud800", "a\udc00b", "\udbff\udbff", "x\ud83d"]
UNSTORABLE = [*LONE_SURROGATES, "a\u0000b"]
ENCODINGS = ["escaped", "raw"]


def encoded(body: Any, encoding: str) -> bytes:
    """The body as JSON: text escaped (ASCII only, as most clients send), or as raw UTF-8(-like) bytes."""
    if encoding == "escaped":
        return json.dumps(body).encode()
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


def post(api: Api, path: str, body: Any, encoding: str) -> tuple[int, Any]:
    """POST a body in the given encoding."""
    return api.call(path, raw=encoded(body, encoding))


def _rule(api: Api) -> dict[str, Any]:
    return guide.rule_6_7(api.ok("leaderboard/create", guide.leaderboard_4_2())["id"])


def _condition(text: str, *, fact: str = "eventType", value: Any = "viewPeriod") -> list[dict[str, Any]]:
    return [{"fact": fact, "operator": "equal", "value": value}]


# (action, body given the api and the text, the field the 400 names, the list that must stay as it was)
Case = tuple[str, Callable[[Api, str], dict[str, Any]], str, str]
CASES: list[Case] = [
    ("rule/create", lambda api, text: {**_rule(api), "name": text}, "name", "rule/list"),
    ("rule/create", lambda api, text: {**_rule(api), "description": text}, "description", "rule/list"),
    (
        "rule/create",
        lambda api, text: {**_rule(api), "conditions": _condition(text, fact=text)},
        "conditions.0.fact",
        "rule/list",
    ),
    (
        "rule/create",
        lambda api, text: {**_rule(api), "conditions": _condition(text, value=text)},
        "conditions.0.value",
        "rule/list",
    ),
    (
        "rule/create",
        lambda api, text: {**_rule(api), "conditions": _condition(text, value=["a", text])},
        "conditions.0.value.1",
        "rule/list",
    ),
    (
        "rule/create",
        lambda api, text: {**_rule(api), "subRules": [{**guide.rule_6_8("x")["subRules"][0], "name": text}]},
        "subRules.0.name",
        "rule/list",
    ),
    ("rule/create", lambda api, text: {**_rule(api), "groupBy": text}, "groupBy", "rule/list"),
    (
        "leaderboard/create",
        lambda api, text: {**guide.leaderboard_4_2(), "name": text},
        "name",
        "leaderboard/list",
    ),
    (
        "leaderboard/create",
        lambda api, text: {**guide.leaderboard_4_2(), "virtualEventIds": [text]},
        "virtualEventIds.0",
        "leaderboard/list",
    ),
    ("leaderboard/list", lambda api, text: {"idIn": text}, "idIn", "leaderboard/list"),
    ("leaderboard/list", lambda api, text: {"idIn": ["a", text]}, "idIn.1", "leaderboard/list"),
    ("leaderboard/list", lambda api, text: {"filter": {"idIn": text}}, "filter.idIn", "leaderboard/list"),
    (
        "badge/create",
        lambda api, text: {**guide.badge_7_1(), "rules": [{**guide.badge_7_1()["rules"][0], "name": text}]},
        "rules.0.name",
        "badge/list",
    ),
    ("userProfile/upsert", lambda api, text: {"userId": text}, "userId", "userProfile/list"),
    (
        "userProfile/upsert",
        lambda api, text: {"userId": "u", "profileData": {"city": {"name": text}}},
        "profileData.city.name",
        "userProfile/list",
    ),
    ("userProfile/upsert", lambda api, text: {"userId": "u", text: 1}, "\ufffd", "userProfile/list"),
]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("text", UNSTORABLE)
@pytest.mark.parametrize(("action", "build", "field", "listing"), CASES)
def test_unstorable_text_in_a_body_is_a_400_naming_the_field(
    api: Api,
    action: str,
    build: Callable[[Api, str], dict[str, Any]],
    field: str,
    listing: str,
    text: str,
    encoding: str,
) -> None:
    body = build(api, text)
    before = api.ok(listing)["totalCount"]
    status, error = post(api, action, body, encoding)
    assert status == 400 and error["code"] == "VALIDATION_ERROR", error
    expected = field if field != "\ufffd" else text.replace("\u0000", "\ufffd").translate(_SURROGATES_SHOWN)
    assert error["args"]["PARAM_NAME"] == expected, error
    assert api.ok(listing)["totalCount"] == before


_SURROGATES_SHOWN = dict.fromkeys(range(0xD800, 0xE000), "\ufffd")


def test_unstorable_text_is_refused_only_after_the_ks(api: Api) -> None:
    status, error = api.call("leaderboard/create", raw=encoded({"name": "\ud800"}, "escaped"), ks="")
    assert status == 401 and error["code"] == "MISSING_KS"


def test_surrogate_pairs_are_text(api: Api) -> None:
    for encoding in ENCODINGS:
        status, created = post(
            api, "leaderboard/create", {**guide.leaderboard_4_2(), "name": "ok 🎉"}, encoding
        )
        assert status == 200 and created["name"] == "ok 🎉"
    escaped_backslash = (
        b'{"name": "\\\\ud800", "status": "enabled", "startDate": 0, "endDate": 1, "virtualEventIds": ["1"]}'
    )
    status, created = api.call("leaderboard/create", raw=escaped_backslash)
    assert status == 200 and created["name"] == "\\ud800"


def _scoring_leaderboard(api: Api) -> str:
    board: str = api.ok(
        "leaderboard/create",
        {**guide.leaderboard_4_2(), "status": "enabled", "startDate": 0, "endDate": 4_000_000_000},
    )["id"]
    api.ok(
        "rule/create",
        {
            "gameObjectType": "leaderboard",
            "gameObjectId": board,
            "name": "Polls",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "poll"}],
            "type": "count",
            "mode": "distribute_points",
            "metric": "eventType",
            "groupBy": "kuserId",
            "goal": 1,
            "points": 10,
        },
    )
    return board


def _bad_events(text: str) -> list[dict[str, Any]]:
    poll = {"eventType": "poll", "virtualEventId": guide.VIRTUAL_EVENT_ID}
    return [
        {**poll, "userId": text},
        {**poll, "kuserId": text},
        {**poll, "userId": "bad", "entryId": text},
        {**poll, "userId": "bad", "eventId": text},
        {**poll, "userId": "bad", "score": text},
        {**poll, "userId": "bad", "categories": ["a", text]},
        {**poll, "userId": "bad", "categories": text},
        {**poll, "userId": "bad", "keys": [1, text]},
        {**poll, "userId": "bad", text: 1},
        {"eventType": text, "userId": "bad"},
    ]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("text", UNSTORABLE)
def test_an_event_with_unstorable_text_is_rejected_alone(api: Api, text: str, encoding: str) -> None:
    board = _scoring_leaderboard(api)
    good = {"eventType": "poll", "virtualEventId": guide.VIRTUAL_EVENT_ID}
    bad = _bad_events(text)
    events: list[dict[str, Any]] = []
    bad_indexes = []
    for position, event in enumerate(bad):
        events.append({**good, "userId": f"good{position}", "eventId": f"g{position}"})
        bad_indexes.append(len(events))
        events.append(event)
    status, answer = post(api, "event/send", {"events": events}, encoding)
    assert status == 200, answer
    assert [refusal["index"] for refusal in answer["rejected"]] == bad_indexes, answer
    assert all(refusal["code"] == "VALIDATION_ERROR" for refusal in answer["rejected"])
    assert answer["accepted"] == len(bad)
    scores = api.ok("userScore/list", {"gameObjectType": "leaderboard", "gameObjectId": board})
    assert sorted(entry["userId"] for entry in scores["objects"]) == sorted(
        f"good{i}" for i in range(len(bad))
    )


def test_unstorable_text_outside_the_events_refuses_the_call(api: Api) -> None:
    status, error = api.call("event/send", raw=encoded({"events": [], "x\ud800": 1}, "escaped"))
    assert status == 400 and error["args"]["PARAM_NAME"] == "x\ufffd"


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("response_format", ["1", "2"])
@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"service": "game_userscore\ud800", "action": "list"}, "service"),
        (
            {"service": "game_userscore", "action": "list", "filter": {"gameObjectId": "a\ud800"}},
            "filter:gameObjectId",
        ),
        (
            {"service": "game_userscore", "action": "list", "filter": {"gameObjectId": "a\u0000"}},
            "filter:gameObjectId",
        ),
        ({"service": "game_userscore", "action": "list", "filter\udc00": {}}, "filter\ufffd"),
        ({"service": "multirequest", "1": {"service": "game_userscore", "action": "list\ud800"}}, "1:action"),
    ],
)
def test_api_v3_answers_unstorable_text_as_an_invalid_character(
    api: Api, params: dict[str, Any], named: str, response_format: str, encoding: str
) -> None:
    body = encoded({**params, "ks": api.ks, "format": response_format}, encoding)
    response = api.client.post("/api_v3/", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    if response_format == "1":
        assert response.json()["code"] == "INVALID_PARAMETER_CHAR"
        assert response.json()["args"]["XML_FIELD"] == named
    else:
        assert b"<code>INVALID_PARAMETER_CHAR</code>" in response.content
        assert response.content.decode()


@pytest.mark.parametrize("cell", [b"\xed\xa0\x80", b"a\x00b"])
def test_a_csv_file_with_unstorable_text_is_refused_whole(api: Api, cell: bytes) -> None:
    board = _scoring_leaderboard(api)
    content = b"userId,eventType\nann,poll\n" + cell + b",poll\n"
    response = api.client.post(
        "/api/v1/event/sendExternalEventsFromCSV",
        data={"eventAction": "delta"},
        files={"csvFile": ("scores.csv", content, "text/csv")},
        headers={"Authorization": f"Bearer {api.ks}"},
    )
    assert response.status_code == 400 and response.json()["code"] == "INVALID_CSV", response.text
    assert api.ok("userScore/list", {"gameObjectId": board})["totalCount"] == 0


# (action, body given the api, where the non-finite number goes as the text "X", the field the 400 names, the list)
NUMBER_CASES: list[tuple[str, Callable[[Api], dict[str, Any]], str, str]] = [
    (
        "leadScoring/create",
        lambda api: {**guide.lead_scoring_9_3(), "scoreGroups": [{"name": "All", "range": [0, "X"]}]},
        "scoreGroups.0.range.1",
        "leadScoring/list",
    ),
    (
        "leadScoring/create",
        lambda api: {**guide.lead_scoring_9_3(), "percentageGroups": [{"name": "All", "range": ["X", 100]}]},
        "percentageGroups.0.range.0",
        "leadScoring/list",
    ),
    (
        "userProfile/upsert",
        lambda api: {"userId": "u", "profileData": {"age": "X"}},
        "profileData.age",
        "userProfile/list",
    ),
    (
        "rule/create",
        lambda api: {**_rule(api), "conditions": [{"fact": "score", "operator": "in", "value": [1, "X"]}]},
        "conditions.0.value.1",
        "rule/list",
    ),
]


@pytest.mark.parametrize(
    "token",
    # The last three are JSON, but past a double's range: the request parser reads them as infinities.
    ["NaN", "Infinity", "-Infinity", "1e400", "-2.5E+309", "1" + "0" * 400 + ".5"],
)
@pytest.mark.parametrize(("action", "build", "field", "listing"), NUMBER_CASES)
def test_a_number_json_has_no_spelling_for_is_a_400_naming_the_field(
    api: Api, action: str, build: Callable[[Api], dict[str, Any]], field: str, listing: str, token: str
) -> None:
    raw = json.dumps(build(api)).replace('"X"', token).encode()
    before = api.ok(listing)["totalCount"]
    status, error = api.call(action, raw=raw)
    assert status == 400 and error["code"] == "VALIDATION_ERROR", error
    assert error["args"]["PARAM_NAME"] == field, error
    assert api.ok(listing)["totalCount"] == before


@pytest.mark.parametrize("charset", ["utf-16", "utf-16-be", "utf-32-le"])
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**guide.leaderboard_4_2(), "name": "a\u0000b"}, "name"),
        ({**guide.leaderboard_4_2(), "description": "\ud800"}, "description"),
        ({"userId": "u16", "profileData": {"age": float("nan")}}, "profileData.age"),
    ],
    ids=["nul", "surrogate", "nan"],
)
def test_json_in_utf16_or_utf32_is_checked_as_in_utf8(
    api: Api, charset: str, body: dict[str, Any], field: str
) -> None:
    # The request parser reads JSON in UTF-16 and UTF-32 too (told by its first bytes).
    raw = json.dumps(body).encode(charset)
    status, error = api.call("userProfile/create" if "userId" in body else "leaderboard/create", raw=raw)
    assert (status, error["code"], error["args"].get("PARAM_NAME")) == (400, "VALIDATION_ERROR", field), error
    assert api.ok("leaderboard/list")["totalCount"] == 0 and api.ok("userProfile/list")["totalCount"] == 0


def test_nan_as_text_is_text(api: Api) -> None:
    created = api.ok("userProfile/upsert", {"userId": "NaN", "profileData": {"note": "Infinity and NaN"}})
    assert created["userId"] == "NaN" and created["profileData"] == {"note": "Infinity and NaN"}
