"""External events from CSV files through API v1 (guide sections 11 and 15.6): both layouts, delta and upsert,
the whole file or nothing, dry runs and limits, on every database."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from gameservices.api.app import API_PREFIX, create_app
from gameservices.api.event_csv import router as csv_router
from gameservices.cli.imports import import_events
from gameservices.errors import PayloadTooLarge
from gameservices.services.scoring import csv_import
from gameservices.services.standings import user_score
from gameservices.settings import Settings
from gameservices.storage.database import read_transaction, write_transaction
from tests.conftest import Api, Partner

UPLOAD = "event/sendExternalEventsFromCSV"
OPEN_WINDOW = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2099-01-01T00:00:00Z"}


@pytest.fixture(scope="module")
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """An in-process app serving the upload actions (small upload limit, so the 413 is cheap to reach)."""
    app = create_app(settings.model_copy(update={"max_upload_bytes": 2_000_000}), engine)
    if not any(getattr(route, "path", "") == f"{API_PREFIX}/{UPLOAD}" for route in app.routes):
        app.include_router(csv_router, prefix=API_PREFIX)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def csv_api(client: TestClient, partner: Partner) -> Api:
    return Api(client, partner.ks)


def upload(
    api: Api,
    text: str | bytes,
    *,
    action: str | None = "delta",
    file_field: str = "csvFile",
    action_field: str = "eventAction",
    path: str = UPLOAD,
    extra: dict[str, str] | None = None,
) -> tuple[int, Any]:
    data = {action_field: action} if action is not None else {}
    data.update(extra or {})
    content = text.encode() if isinstance(text, str) else text
    response = api.client.post(
        f"/api/v1/{path}",
        data=data,
        files={file_field: ("scores.csv", content, "text/csv")},
        headers={"Authorization": f"Bearer {api.ks}"},
    )
    return response.status_code, response.json()


def uploaded(api: Api, text: str, **options: Any) -> Any:
    status, body = upload(api, text, **options)
    assert status == 200, body
    return body


def leaderboard(api: Api, rules: list[dict[str, Any]]) -> str:
    board: str = api.ok(
        "leaderboard/create",
        {"name": "Hybrid event", "status": "enabled", "virtualEventIds": ["1"], **OPEN_WINDOW},
    )["id"]
    for rule in rules:
        api.ok(
            "rule/create",
            {
                "gameObjectType": "leaderboard",
                "gameObjectId": board,
                "mode": "distribute_points",
                "groupBy": "kuserId",
                "maxPoints": "unlimited",
                **rule,
            },
        )
    return board


def external_rule(name: str, conditions: list[dict[str, Any]]) -> dict[str, Any]:
    """Guide 15.6 step 1: an external rule whose points come from the event's score."""
    return {
        "name": name,
        "conditions": conditions,
        "type": "external",
        "metric": "score",
        "goal": "1",
        "points": "score",
    }


BOOTH = external_rule(
    "Booth visits and physical activities",
    [{"fact": "eventType", "operator": "equal", "value": "boothVisit"}],
)
CHAT = {
    "name": "Chat",
    "conditions": [{"fact": "eventType", "operator": "equal", "value": "comment"}],
    "type": "count",
    "metric": "kuserId",
    "goal": "1",
    "points": "5",
}


def scores(api: Api, board: str) -> list[tuple[int, str, float]]:
    answer = api.ok("userScore/list", {"gameObjectId": board, "pager": {"pageSize": 500}})
    return [(row["rank"], row["userId"], row["score"]) for row in answer["objects"]]


def rule_scores(api: Api, board: str, user: str) -> dict[str, float]:
    answer = api.ok("userScore/ruleProgress", {"gameObjectId": board, "userId": user})
    return {row["name"]: row["score"] for row in answer["objects"]}


def test_guide_15_6_delta_then_upsert_next_to_digital_engagement(csv_api: Api) -> None:
    board = leaderboard(csv_api, [BOOTH, CHAT])
    chats = [{"eventType": "comment", "userId": "user1@example.com"}] * 2
    chats += [{"eventType": "comment", "userId": "user2@example.com"}]
    csv_api.ok("event/send", {"events": chats})
    delta = "userId,score,eventType\nuser1@example.com,50,boothVisit\nuser2@example.com,75,boothVisit\nuser3@example.com,100,boothVisit\n"
    assert uploaded(csv_api, delta) == {"rows": 3, "events": 3, "skipped": []}
    assert scores(csv_api, board) == [
        (1, "user3@example.com", 100),
        (2, "user2@example.com", 80),
        (3, "user1@example.com", 60),
    ]
    upsert = "userId,score,eventType\nuser1@example.com,90,boothVisit\nuser2@example.com,85,boothVisit\n"
    assert uploaded(csv_api, upsert, action="upsert") == {"rows": 2, "events": 2, "skipped": []}
    # user3 reached 100 first, so ranks above user1's later 100.
    assert scores(csv_api, board) == [
        (1, "user3@example.com", 100),
        (2, "user1@example.com", 100),
        (3, "user2@example.com", 90),
    ]
    booth = "Booth visits and physical activities"
    assert rule_scores(csv_api, board, "user1@example.com") == {booth: 90, "Chat": 10}
    assert rule_scores(csv_api, board, "user2@example.com") == {booth: 85, "Chat": 5}
    assert rule_scores(csv_api, board, "user3@example.com") == {booth: 100, "Chat": 0}
    # The same upsert again changes nothing; a delta adds on top of the replaced value.
    uploaded(csv_api, upsert, action="upsert")
    uploaded(csv_api, "userId,score,eventType\nuser2@example.com,5,boothVisit\n")
    assert rule_scores(csv_api, board, "user2@example.com") == {booth: 90, "Chat": 5}


def wide_rules() -> list[dict[str, Any]]:
    def on(rule_id: str) -> dict[str, Any]:
        return external_rule(
            rule_id,
            [
                {"fact": "eventType", "operator": "equal", "value": "external"},
                {"fact": "externalRuleId", "operator": "equal", "value": rule_id},
            ],
        )

    return [on("booth"), on("quiz")]


def test_wide_layout_scores_like_the_equivalent_long_layout(client: TestClient, new_partner: Any) -> None:
    wide_api, long_api = (Api(client, new_partner().ks) for _ in range(2))
    wide_board, long_board = leaderboard(wide_api, wide_rules()), leaderboard(long_api, wide_rules())
    wide = "UserID,booth,quiz\nada,10,5\nbob,,7\ncyd,3,\n"
    long = (
        "userId,score,eventType,externalRuleId\n"
        "ada,10,external,booth\nada,5,external,quiz\nbob,7,external,quiz\ncyd,3,external,booth\n"
    )
    assert uploaded(wide_api, wide) == {"rows": 3, "events": 4, "skipped": []}
    assert uploaded(long_api, long) == {"rows": 4, "events": 4, "skipped": []}
    wide_upsert = "userid,quiz,booth\nada,1,\nbob,2,2\n"
    long_upsert = "USERID,Score,EventType,externalRuleId\nada,1,external,quiz\nbob,2,external,quiz\nbob,2,external,booth\n"
    uploaded(wide_api, wide_upsert, action="upsert")
    uploaded(long_api, long_upsert, action="upsert")
    expected = [(1, "ada", 11), (2, "bob", 4), (3, "cyd", 3)]
    assert scores(wide_api, wide_board) == scores(long_api, long_board) == expected
    for user, by_rule in {"ada": {"booth": 10, "quiz": 1}, "bob": {"booth": 2, "quiz": 2}}.items():
        assert rule_scores(wide_api, wide_board, user) == rule_scores(long_api, long_board, user) == by_rule


def ten_thousand_rows(bad_line: int | None = None) -> str:
    lines = ["userId,score,eventType"]
    for n in range(2, 10_002):
        lines.append(f"user{n}@example.com,{'abc' if n == bad_line else n % 50},boothVisit")
    return "\n".join(lines) + "\n"


def test_one_bad_row_among_ten_thousand_changes_nothing_then_the_fixed_file_applies(csv_api: Api) -> None:
    board = leaderboard(csv_api, [BOOTH])
    status, body = upload(csv_api, ten_thousand_rows(bad_line=5_000))
    assert status == 400
    assert body["code"] == "INVALID_CSV"
    assert body["errors"] == [
        {"line": 5_000, "column": "score", "message": "the score must be a number, found 'abc'"}
    ]
    assert body["args"]["INVALID_LINES"] == 1
    assert csv_api.ok("userScore/list", {"gameObjectId": board})["totalCount"] == 0
    assert uploaded(csv_api, ten_thousand_rows()) == {"rows": 10_000, "events": 10_000, "skipped": []}
    listed = csv_api.ok("userScore/list", {"gameObjectId": board, "pager": {"pageSize": 1}})
    assert listed["totalCount"] == 9_800  # users whose score is a multiple of 50 scored 0 and never appear
    assert (
        csv_api.ok("userScore/get", {"gameObjectId": board, "userId": "user4999@example.com"})["score"] == 49
    )


def test_dry_run_validates_without_applying(csv_api: Api) -> None:
    board = leaderboard(csv_api, [BOOTH])
    text = "userId,score,eventType\nada,5,boothVisit\nbob,6,boothVisit\n"
    assert uploaded(csv_api, text, extra={"dryRun": "true"}) == {"rows": 2, "events": 2}
    assert csv_api.ok("userScore/list", {"gameObjectId": board})["totalCount"] == 0
    status, body = upload(csv_api, text + "cyd,,boothVisit\n", extra={"dryRun": "true"})
    assert (status, body["errors"]) == (
        400,
        [{"line": 4, "column": "score", "message": "the score must be a number, found ''"}],
    )
    assert uploaded(csv_api, text, extra={"dryRun": "false"}) == {"rows": 2, "events": 2, "skipped": []}
    assert scores(csv_api, board) == [(1, "bob", 6), (2, "ada", 5)]


WORKSHOP = {
    "name": "Workshop minutes",
    "conditions": [{"fact": "eventType", "operator": "equal", "value": "workshop"}],
    "type": "sum",
    "metric": "minutes",
    "goal": "1",
    "points": "1",
}


def test_a_row_a_rule_cannot_use_is_skipped_by_that_rule_alone(csv_api: Api) -> None:
    chat = {**WORKSHOP, "name": "Chat", "type": "count"}
    board = leaderboard(csv_api, [BOOTH, WORKSHOP, chat])
    text = "userId,score,eventType,minutes\nada,5,boothVisit,\nbob,0,workshop,30\ncyd,0,workshop,lots\n"
    body = uploaded(csv_api, text)
    assert (body["rows"], body["events"]) == (3, 3)
    [skip] = body["skipped"]
    assert (skip["line"], skip["message"]) == (4, "minutes must be a non-negative number")
    progress = csv_api.ok("userScore/ruleProgress", {"gameObjectId": board, "userId": "cyd"})["objects"]
    assert skip["ruleId"] == next(row["ruleId"] for row in progress if row["name"] == "Workshop minutes")
    booth = BOOTH["name"]
    assert rule_scores(csv_api, board, "cyd") == {booth: 0, "Workshop minutes": 0, "Chat": 1}
    assert rule_scores(csv_api, board, "bob") == {booth: 0, "Workshop minutes": 30, "Chat": 1}


def test_files_over_ten_thousand_events_apply_in_one_transaction(csv_api: Api) -> None:
    board = leaderboard(csv_api, [BOOTH])
    rows = "".join(f"user{n % 1_000},1,boothVisit\n" for n in range(12_000))
    assert uploaded(csv_api, "userId,score,eventType\n" + rows) == {
        "rows": 12_000,
        "events": 12_000,
        "skipped": [],
    }
    listed = csv_api.ok("userScore/list", {"gameObjectId": board, "pager": {"pageSize": 2}})
    assert listed["totalCount"] == 1_000
    assert {row["score"] for row in listed["objects"]} == {12}
    # A rule that cannot use a row of the second chunk skips it; the file still applies, the line is listed.
    leaderboard(csv_api, [WORKSHOP])
    more = "userId,score,eventType,minutes\n" + rows.replace(",boothVisit\n", ",boothVisit,\n")
    more += "ada,0,workshop,lots\n"
    body = uploaded(csv_api, more)
    assert [(skip["line"], skip["message"]) for skip in body["skipped"]] == [
        (12_002, "minutes must be a non-negative number")
    ]
    assert csv_api.ok("userScore/get", {"gameObjectId": board, "userId": "user7"})["score"] == 24


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"file_field": "file"}, "userId,score,eventType\nada,5,boothVisit\n"),
        ({"file_field": "csv", "action_field": "scoreAction"}, "kuserid,SCORE,EventType\nada,5,boothVisit\n"),
        ({"path": "event/sendExternalEventsFromCsv"}, "\ufeffuserId,score,eventType\r\nada,5,boothVisit\r\n"),
        ({}, 'eventType,"userId",score,entryId\nboothVisit,ada,5.0,\n'),
    ],
)
def test_field_names_spellings_and_encodings(csv_api: Api, options: dict[str, Any], text: str) -> None:
    board = leaderboard(csv_api, [BOOTH])
    assert uploaded(csv_api, text, **options) == {"rows": 1, "events": 1, "skipped": []}
    assert scores(csv_api, board) == [(1, "ada", 5)]


@pytest.mark.parametrize(
    ("text", "action", "status", "code", "param"),
    [
        ("userId,score,eventType\nada,1,x\n", None, 400, "MISSING_MANDATORY_PARAMETER", "eventAction"),
        ("userId,score,eventType\nada,1,x\n", "replace", 400, "INVALID_ENUM_VALUE", "eventAction"),
        ("", "delta", 400, "INVALID_CSV", "csvFile"),
        (b"userId,score,eventType\n\xff,1,x\n", "delta", 400, "INVALID_CSV", "csvFile"),
    ],
)
def test_refused_requests(
    csv_api: Api, text: str | bytes, action: str | None, status: int, code: str, param: str
) -> None:
    answer = upload(csv_api, text, action=action)
    assert (answer[0], answer[1]["code"], answer[1]["args"].get("PARAM_NAME")) == (status, code, param)


@pytest.mark.parametrize("event_time", ["yesterday", "\u00b2", "1748772000\u00b2", "--5"])
def test_an_event_time_that_is_no_time_refuses_the_file_naming_the_cell(
    csv_api: Api, event_time: str
) -> None:
    # "\u00b2" (superscript two) passes str.isdigit() but not float(): once a 500.
    status, body = upload(csv_api, f"userId,score,eventType,eventTime\nada,5,boothVisit,{event_time}\n")
    assert (status, body["code"]) == (400, "INVALID_CSV"), body
    assert [(error["line"], error["column"]) for error in body["errors"]] == [(2, "eventTime")]


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("entryId", '"0_e\x01"'),
        ("virtualEventId", '"70\x0101"'),
        ("sessionId", '"s\n1"'),
        ("categories", '"301,3\x1b02"'),
    ],
)
def test_an_id_holding_a_control_character_refuses_the_file_naming_the_line(
    csv_api: Api, column: str, cell: str
) -> None:
    # As event/send refuses such an event (and a beacon could never carry the id): the whole file, nothing applied.
    board = leaderboard(csv_api, [BOOTH])
    text = f"userId,score,eventType,{column}\nada,5,boothVisit,1\nbob,6,boothVisit,{cell}\n"
    status, body = upload(csv_api, text)
    assert (status, body["code"], body["args"]["INVALID_LINES"]) == (400, "INVALID_CSV", 1), body
    assert body["errors"] == [
        {"line": 3, "column": None, "message": f"{column} must not contain control characters"}
    ]
    assert scores(csv_api, board) == []


def test_upload_without_a_file_or_a_ks(csv_api: Api) -> None:
    response = csv_api.client.post(
        f"/api/v1/{UPLOAD}", data={"eventAction": "delta"}, headers={"Authorization": f"Bearer {csv_api.ks}"}
    )
    assert (response.status_code, response.json()["code"]) == (400, "MISSING_MANDATORY_PARAMETER")
    assert response.json()["args"] == {"PARAM_NAME": "csvFile"}
    anonymous = Api(csv_api.client, None)
    assert upload(anonymous, "userId,score,eventType\n")[0] == 401


def test_files_over_the_upload_limit_are_refused(csv_api: Api) -> None:
    text = "userId,score,eventType\n" + "someone@example.com,1,boothVisit\n" * 70_000
    status, body = upload(csv_api, text)
    assert (status, body["code"]) == (413, "PAYLOAD_TOO_LARGE")


def test_cli_import_applies_the_file_and_the_running_app_sees_it(
    csv_api: Api, partner: Partner, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    board = leaderboard(csv_api, [BOOTH])
    assert scores(csv_api, board) == []  # the app has loaded the partner's state before the import
    command = typer.Typer()
    command.command()(import_events)
    monkeypatch.setenv("GAMESERVICES_DATABASE_URL", database_url)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("userId,score,eventType\nada,5,boothVisit\nbob,7,boothVisit\n")
    bad.write_text("userId,score,eventType\nada,5,boothVisit\nbob,seven,boothVisit\n")
    options = ["--partner-id", str(partner.id), "--action", "upsert"]
    refused = CliRunner().invoke(command, [str(bad), *options])
    assert refused.exit_code == 1
    assert "line 3, column score: the score must be a number, found 'seven'" in refused.output
    done = CliRunner().invoke(command, [str(good), *options])
    assert done.exit_code == 0, done.output
    assert "Imported 2 rows as 2 events." in done.output
    assert scores(csv_api, board) == [(1, "bob", 7), (2, "ada", 5)]
    unknown = CliRunner().invoke(command, [str(good), "--partner-id", "987654321", "--action", "delta"])
    assert (unknown.exit_code, "Partner [987654321] not found" in unknown.output) == (1, True)
    wrong = CliRunner().invoke(command, [str(good), "--partner-id", str(partner.id), "--action", "add"])
    assert wrong.exit_code == 1 and "Invalid enumeration value [add]" in wrong.output


def test_files_over_the_row_limit_are_too_large() -> None:
    data = b"userId,score,eventType\n" + b"ada,1,x\n" * 3
    assert csv_import.read(data, score_action="delta", max_rows=3).summary() == {"rows": 3, "events": 3}
    with pytest.raises(PayloadTooLarge) as refused:
        csv_import.read(data, score_action="delta", max_rows=2)
    assert refused.value.arguments == {"LIMIT": 2}


def test_readers_during_a_long_import_neither_see_it_early_nor_disturb_it(
    client: TestClient, csv_api: Api, partner: Partner
) -> None:
    board = leaderboard(csv_api, [BOOTH])
    rows = "".join(f"user{n % 500},1,boothVisit\n" for n in range(25_000))
    upload = csv_import.read(("userId,score,eventType\n" + rows).encode(), score_action="delta")
    app_state = client.app.state
    seen: list[tuple[float, int]] = []
    importing = threading.Event()

    def read_while_importing() -> None:
        while importing.is_set():
            with read_transaction(app_state.engine) as conn:
                record = user_score.game_object(
                    conn, partner_id=partner.id, game_object_id=board, game_object_type=None
                )
                page = user_score.list_page(
                    conn, live=app_state.live, partner_id=partner.id, record=record, offset=0, limit=1
                )
            seen.append((time.monotonic(), page["totalCount"]))

    importing.set()
    reader = threading.Thread(target=read_while_importing)
    reader.start()
    try:
        with app_state.live.writing(partner.id) as state, write_transaction(app_state.engine) as conn:
            csv_import.apply(conn, state=state, partner_id=partner.id, upload=upload, received_at=time.time())
            importing.clear()
            commit_starts = time.monotonic()
    finally:
        importing.clear()
        reader.join()
    # Nothing of the import was visible before it committed (a look ending after that may see it, or not).
    before_commit = [count for ended, count in seen if ended < commit_starts]
    assert before_commit and set(before_commit) == {0}
    listed = csv_api.ok("userScore/list", {"gameObjectId": board, "pager": {"pageSize": 500}})
    assert listed["totalCount"] == 500 and {row["score"] for row in listed["objects"]} == {50}
