"""The score limit (docs/decisions.md, "Score limits"): numbers that become scores lie within ±2^53, the
integers a double holds exactly. Beyond it a rule's goal, points or cap is a 400, an event's score (or metric,
points or cap field) refuses that event alone, a CSV import refuses the whole file; a total that accumulates
past it is still written whole and right in every answer and every report format, which never stops short."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from gameservices.services.reports import generate as report_service
from tests.api import guide_bodies as guide
from tests.conftest import Api

LIMIT = 2**53
BEYOND = [LIMIT + 2, 1e20, "1e20", 2**64, 10**30]
POLL = {"eventType": "poll", "virtualEventId": guide.VIRTUAL_EVENT_ID}


def _leaderboard(api: Api) -> str:
    board: str = api.ok(
        "leaderboard/create",
        {**guide.leaderboard_4_2(), "status": "enabled", "startDate": 0, "endDate": 4_000_000_000},
    )["id"]
    return board


def _rule(board: str, **fields: Any) -> dict[str, Any]:
    return {
        "gameObjectType": "leaderboard",
        "gameObjectId": board,
        "name": fields.pop("name", "Polls"),
        "conditions": [{"fact": "eventType", "operator": "equal", "value": fields.pop("on", "poll")}],
        "type": "count",
        "mode": "distribute_points",
        "metric": "eventType",
        "groupBy": "kuserId",
        "goal": 1,
        "points": 1,
        **fields,
    }


@pytest.mark.parametrize("field", ["goal", "points", "maxPoints"])
@pytest.mark.parametrize("value", BEYOND)
def test_rule_numbers_beyond_the_limit_are_400(api: Api, field: str, value: Any) -> None:
    board = _leaderboard(api)
    status, error = api.call("rule/create", _rule(board, **{field: value}))
    assert status == 400 and error["args"]["PARAM_NAME"] == field, error
    rule = api.ok("rule/create", _rule(board, **{field: LIMIT}))
    status, error = api.call("rule/update", {"id": rule["id"], field: value})
    assert status == 400 and error["args"]["PARAM_NAME"] == field, error
    badge = guide.badge_7_1()
    badge["rules"][0][field] = value
    status, error = api.call("badge/create", badge)
    assert status == 400 and error["args"]["PARAM_NAME"] == f"rules[0].{field}", error
    assert [rule["id"]] == [item["id"] for item in api.ok("rule/list")["objects"]]
    assert api.ok("badge/list")["totalCount"] == 0


@pytest.mark.parametrize("value", [*BEYOND, -1e20, "-1e20"])
def test_an_event_score_beyond_the_limit_is_rejected_or_skipped_alone(api: Api, value: Any) -> None:
    board = _leaderboard(api)
    api.ok("rule/create", _rule(board, type="external", metric="score", points="score", on="score"))
    api.ok("rule/create", _rule(board, name="Watch", type="sum", metric="playTime", on="view"))
    api.ok("rule/create", _rule(board, name="Bonus", points="bonus", on="bonus"))
    api.ok("rule/create", _rule(board, name="Capped", maxPoints="cap", on="capped"))
    events = [
        {**POLL, "eventType": "score", "userId": "ann", "score": 7},
        {**POLL, "eventType": "score", "userId": "bad", "score": value},
        {**POLL, "eventType": "view", "userId": "bad", "playTime": value},
        {**POLL, "eventType": "bonus", "userId": "bad", "bonus": value},
        {**POLL, "eventType": "capped", "userId": "bad", "cap": value},
        {**POLL, "eventType": "view", "userId": "bob", "playTime": LIMIT - 1},
    ]
    answer = api.ok("event/send", {"events": events})
    if isinstance(value, str):
        # A number written as text is the event's own business until a rule reads it: that rule skips it.
        assert answer["rejected"] == [] and answer["accepted"] == 6, answer
        assert [skip["index"] for skip in answer["skipped"]] == [1, 2, 3, 4], answer
    else:
        assert [refusal["index"] for refusal in answer["rejected"]] == [1, 2, 3, 4], answer
        assert answer["accepted"] == 2
    scores = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    assert {entry["userId"]: entry["score"] for entry in scores} == {"ann": 7, "bob": LIMIT - 1}


def test_a_csv_score_beyond_the_limit_refuses_the_file(api: Api) -> None:
    board = _leaderboard(api)
    api.ok("rule/create", _rule(board, type="external", metric="score", points="score", on="boothVisit"))
    text = "userId,eventType,score\nann,boothVisit,5\nbob,boothVisit,1e20\n"
    response = api.client.post(
        "/api/v1/event/sendExternalEventsFromCSV",
        data={"eventAction": "delta"},
        files={"csvFile": ("scores.csv", text.encode(), "text/csv")},
        headers={"Authorization": f"Bearer {api.ks}"},
    )
    assert response.status_code == 400 and response.json()["code"] == "INVALID_CSV", response.text
    assert api.ok("userScore/list", {"gameObjectId": board})["totalCount"] == 0


def _huge_total(api: Api) -> tuple[str, float]:
    """A leaderboard where one user's total grows past 2^64 by accumulating points at the limit."""
    board = _leaderboard(api)
    api.ok("rule/create", _rule(board, points=LIMIT))
    events = 2100
    api.ok("event/send", {"events": [{**POLL, "userId": "whale"}] * events + [{**POLL, "userId": "minnow"}]})
    return board, float(LIMIT) * events


def test_a_total_beyond_the_limit_is_answered_as_a_number(api: Api) -> None:
    board, total = _huge_total(api)
    assert total >= 2**64
    scores = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    assert [(entry["userId"], entry["score"]) for entry in scores] == [("whale", total), ("minnow", LIMIT)]
    response = api.client.post(
        "/api_v3/service/game_userscore/action/list",
        data={"ks": api.ks, "format": "1", "filter[gameObjectId]": board, "filter[gameObjectType]": "1"},
    )
    assert response.status_code == 200
    assert [entry["score"] for entry in response.json()["objects"]] == [total, LIMIT]


def _report(api: Api, board: str, file_format: str) -> list[list[Any]]:
    body = {"gameObjectId": board, "reportType": "userScore", "format": file_format}
    response = api.client.post(
        "/api/v1/report/generate", json=body, headers={"Authorization": f"Bearer {api.ks}"}
    )
    assert response.status_code == 200, response.text
    assert int(response.headers["content-length"]) == len(response.content)
    if file_format == "json":
        document = json.loads(response.content)
        return [[item[name] for name in document["columns"]] for item in document["objects"]]
    if file_format == "xlsx":
        workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return [list(row) for row in workbook.active.iter_rows(values_only=True)][1:]
    return [
        [float(cell) if cell[:1].isdigit() else cell for cell in row]
        for row in csv.reader(io.StringIO(response.text))
    ][1:]


@pytest.mark.parametrize("file_format", ["json", "csv", "xlsx"])
def test_a_report_writes_totals_beyond_the_limit_whole(api: Api, file_format: str) -> None:
    board, total = _huge_total(api)
    rows = _report(api, board, file_format)
    # XLSX keeps 16 significant digits (Excel shows 15): exact up to the limit, the nearest beyond it.
    shown = pytest.approx(total, rel=1e-15) if file_format == "xlsx" else total
    assert [(row[0], row[1], row[2]) for row in rows] == [(1, shown, "whale"), (2, LIMIT, "minnow")]


def test_a_report_that_fails_while_written_is_an_error_not_a_short_file(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    board, _ = _huge_total(api)

    def failing(*_args: Any, **_kwargs: Any) -> Iterator[bytes]:
        yield b'{"columns":['
        raise RuntimeError("the database went away")

    monkeypatch.setattr(report_service, "render", failing)
    body = {"gameObjectId": board, "reportType": "userScore", "format": "json"}
    response = api.client.post(
        "/api/v1/report/generate", json=body, headers={"Authorization": f"Bearer {api.ks}"}
    )
    assert response.status_code == 500
    assert response.json()["objectType"] == "KalturaAPIException"
