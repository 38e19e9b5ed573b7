"""``userProfile/importFromCSV`` (DESIGN.md section 2) through API v1 and ``gameservices user-profile import``:
profiles upserted from a CSV file, the whole file or nothing, each row's profile event scored by the rules,
dry runs and limits, on every database."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from gameservices.api.app import create_app
from gameservices.cli import app as cli_app
from gameservices.domain.csv_profiles import MAX_PROFILE_ROWS
from gameservices.settings import Settings
from tests.conftest import Api, Partner

UPLOAD = "userProfile/importFromCSV"
OPEN_WINDOW = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2099-01-01T00:00:00Z"}
HEADER = "userId,email,firstName,lastName,fullName,groups,company,Country\n"


@pytest.fixture(scope="module")
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """An in-process app with a small upload limit, so the 413 is cheap to reach."""
    app = create_app(settings.model_copy(update={"max_upload_bytes": 2_000_000}), engine)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def csv_api(client: TestClient, partner: Partner) -> Api:
    return Api(client, partner.ks)


def upload(
    api: Api, text: str | bytes, *, field: str = "csvFile", path: str = UPLOAD, dry_run: bool = False
) -> tuple[int, Any]:
    content = text.encode() if isinstance(text, str) else text
    response = api.client.post(
        f"/api/v1/{path}",
        data={"dryRun": "true"} if dry_run else {},
        files={field: ("profiles.csv", content, "text/csv")},
        headers={"Authorization": f"Bearer {api.ks}"} if api.ks else {},
    )
    return response.status_code, response.json()


def imported(api: Api, text: str | bytes, **options: Any) -> Any:
    status, body = upload(api, text, **options)
    assert status == 200, body
    return body


def profile(api: Api, user_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.ok("userProfile/get", {"userId": user_id})
    return {
        key: found[key] for key in ("email", "firstName", "lastName", "fullName", "groups", "profileData")
    }


def profile_count(api: Api) -> int:
    total: int = api.ok("userProfile/list", {})["totalCount"]
    return total


def test_a_file_creates_and_updates_profiles(csv_api: Api) -> None:
    csv_api.ok(
        "userProfile/create",
        {
            "userId": "bob",
            "firstName": "Bob",
            "groups": ["vip"],
            "profileData": {"title": "CTO", "company": "Old"},
        },
    )
    text = (
        "\ufeffUserID,EMAIL,firstname,LastName,fullName,Groups,company,Country\n"
        "ada,ada@example.com,Ada,Lovelace,,speakers; staff ;,Analytical,UK\n"
        "bob,,,,Robert Stone,,Acme,\n"
        '"zoë","z@example.com",Zoë,"Ångström, Jr",,,,FR\n'
    )
    assert imported(csv_api, text) == {"rows": 3}
    assert profile(csv_api, "ada") == {
        "email": "ada@example.com",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "fullName": "Ada Lovelace",
        "groups": ["speakers", "staff"],
        "profileData": {"company": "Analytical", "Country": "UK"},
    }
    # An empty cell leaves the field as it was; profileData keys are set one by one.
    assert profile(csv_api, "bob") == {
        "email": None,
        "firstName": "Bob",
        "lastName": None,
        "fullName": "Robert Stone",
        "groups": ["vip"],
        "profileData": {"title": "CTO", "company": "Acme"},
    }
    assert profile(csv_api, "zoë")["lastName"] == "Ångström, Jr"
    assert imported(csv_api, "userId,fullName\r\nada,Ada King\r\n\r\n", field="file") == {"rows": 1}
    assert profile(csv_api, "ada")["fullName"] == "Ada King"
    assert imported(csv_api, "userid\nnew\n".encode("utf-8-sig"), field="csv") == {"rows": 1}
    assert profile_count(csv_api) == 4


def test_bad_rows_refuse_the_whole_file_with_their_lines(csv_api: Api) -> None:
    text = (
        HEADER
        + "ok,ok@example.com,,,,,,\n"
        + ",nobody@example.com,,,,,,\n"
        + f"long,,{'x' * 257},,,,,\n"
        + "short,,,\n"
        + f"crowd,,,,,{';'.join(f'g{n}' for n in range(101))},,\n"
    )
    status, body = upload(csv_api, text)
    assert (status, body["code"], body["objectType"]) == (400, "INVALID_CSV", "KalturaAPIException")
    assert body["args"] == {"PARAM_NAME": "csvFile", "INVALID_LINES": 4}
    assert body["errors"] == [
        {"line": 3, "column": "userId", "message": "a user id is required"},
        {"line": 4, "column": "firstName", "message": "firstName has at most 256 characters"},
        {"line": 5, "column": None, "message": "expected 8 cells, found 4"},
        {"line": 6, "column": "groups", "message": "at most 100 groups"},
    ]
    assert profile_count(csv_api) == 0  # the good row was not written either


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "email,fullName\na@x.io,A\n",
            {"line": 1, "column": "userId", "message": "the header must name a userId column"},
        ),
        (
            "userId,email,EMAIL\na,b,c\n",
            {"line": 1, "column": "EMAIL", "message": "the header names this column twice"},
        ),
        ("userId,,x\na,b,c\n", {"line": 1, "column": None, "message": "column 2 of the header has no name"}),
        (
            "userId,profileData\na,{}\n",
            {
                "line": 1,
                "column": "profileData",
                "message": "name each profileData key as a column of its own",
            },
        ),
        ("", {"line": 1, "column": None, "message": "the file is empty: expected a header line"}),
        (
            'userId\n"a\n',
            {"line": 2, "column": None, "message": "the file is not valid CSV: unexpected end of data"},
        ),
    ],
    ids=["no-user-id", "twice", "unnamed", "profile-data", "empty", "bad-quote"],
)
def test_bad_headers_and_files(csv_api: Api, text: str, problem: dict[str, Any]) -> None:
    status, body = upload(csv_api, text)
    assert (status, body["code"]) == (400, "INVALID_CSV")
    assert body["errors"] == [problem]


def test_text_that_is_not_utf8_is_refused_with_its_line(csv_api: Api) -> None:
    status, body = upload(csv_api, b"userId,company\nada,Acme\nbob,Caf\xe9\n")
    assert (status, body["errors"]) == (
        400,
        [{"line": 3, "column": None, "message": "the file is not UTF-8 text"}],
    )


def test_a_row_too_large_to_store_refuses_the_file(csv_api: Api) -> None:
    status, body = upload(csv_api, f"userId,bio\nada,short\nbob,{'x' * 70_000}\n")
    assert (status, body["code"], body["args"]["INVALID_LINES"]) == (400, "INVALID_CSV", 1)
    assert body["errors"][0]["line"] == 3 and "profileData" in body["errors"][0]["message"]
    assert profile_count(csv_api) == 0


def test_a_dry_run_checks_the_file_and_writes_nothing(csv_api: Api) -> None:
    assert imported(csv_api, HEADER + "ada,,,,,,,\nbob,,,,,,,\n", dry_run=True) == {"rows": 2}
    assert profile_count(csv_api) == 0
    status, body = upload(csv_api, "userId,email\n\n,x@example.com\n", dry_run=True)
    assert (status, body["errors"][0]["line"]) == (400, 3)


def scoring_board(api: Api, policy: dict[str, Any] | None = None) -> str:
    board: str = api.ok(
        "leaderboard/create",
        {
            "name": "Profiles",
            "status": "enabled",
            "virtualEventIds": ["1"],
            **OPEN_WINDOW,
            **({"participationPolicy": policy} if policy else {}),
        },
    )["id"]
    rules = [
        {
            "name": "Job title",
            "conditions": [
                {"fact": "eventType", "operator": "equal", "value": "userProfile"},
                {"fact": "title", "operator": "equal", "value": "CTO"},
            ],
            "type": "count",
            "metric": "kuserId",
            "points": "100",
            "maxPoints": "100",
        },
        {
            "name": "Chat",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "comment"}],
            "type": "count",
            "metric": "kuserId",
            "points": "5",
            "maxPoints": "unlimited",
        },
    ]
    for rule in rules:
        api.ok(
            "rule/create",
            {
                "gameObjectType": "leaderboard",
                "gameObjectId": board,
                "mode": "distribute_points",
                "groupBy": "kuserId",
                "goal": "1",
                **rule,
            },
        )
    return board


def standings(api: Api, board: str, **options: Any) -> list[tuple[str, float, bool]]:
    body = {"gameObjectId": board, "pager": {"pageSize": 500}, **options}
    return [
        (row["userId"], row["score"], row.get("hidden", False))
        for row in api.ok("userScore/list", body)["objects"]
    ]


def test_each_row_sends_the_profile_event_to_the_rules(csv_api: Api) -> None:
    hide_speakers = {
        "userDefaultPolicy": "display",
        "policies": [{"policy": "do_not_display", "matchCriteria": "byGroup", "values": ["speakers"]}],
    }
    board = scoring_board(csv_api, hide_speakers)
    csv_api.ok("event/send", {"events": [{"eventType": "comment", "userId": "eve"}]})
    assert standings(csv_api, board) == [("eve", 5, False)]
    imported(csv_api, "userId,title,groups\nann,CTO,\nbob,Engineer,\neve,CTO,speakers\n")
    # ann scores from her profile; eve too, and her new group hides her (her score stays).
    assert standings(csv_api, board) == [("ann", 100, False)]
    assert standings(csv_api, board, includeHidden=True) == [("eve", 105, True), ("ann", 100, False)]
    imported(csv_api, "userId,title\nbob,CTO\n")
    assert standings(csv_api, board) == [("ann", 100, False), ("bob", 100, False)]


def test_profile_keys_named_as_event_fields_do_not_change_the_profile_event(csv_api: Api) -> None:
    board = scoring_board(csv_api)
    # The event of a row is the profile change itself: now, for this user, never a repeat of another event.
    text = "userId,title,eventTime,eventId,kuserId\nann,CTO,2001-01-01T00:00:00Z,e1,zed\nbob,CTO,,e1,\n"
    assert imported(csv_api, text) == {"rows": 2}
    assert standings(csv_api, board) == [("ann", 100, False), ("bob", 100, False)]
    assert profile(csv_api, "ann")["profileData"]["eventTime"] == "2001-01-01T00:00:00Z"
    csv_api.ok("userProfile/upsert", {"userId": "cyd", "profileData": {"title": "CTO", "eventId": "e1"}})
    assert [user for user, *_ in standings(csv_api, board)] == ["ann", "bob", "cyd"]


def test_a_file_of_several_chunks_is_applied_whole(csv_api: Api) -> None:
    board = scoring_board(csv_api)
    count = 10_050  # more rows than one engine batch: the import works on a private state
    rows = "".join(f"user{index},{'CTO' if index % 2 else 'Dev'}\n" for index in range(count))
    assert imported(csv_api, "userId,title\n" + rows) == {"rows": count}
    assert profile_count(csv_api) == count
    top = csv_api.ok("userScore/list", {"gameObjectId": board, "pager": {"pageSize": 1}})
    assert top["totalCount"] == count // 2
    bad = "userId,title\n" + rows.replace("user10049,CTO", ",CTO")
    status, body = upload(csv_api, bad)
    assert (status, body["errors"][0]["line"]) == (400, count + 1)


def test_limits(csv_api: Api) -> None:
    status, body = upload(csv_api, "userId\n" + "a\n" * (MAX_PROFILE_ROWS + 1))
    assert (status, body["code"], body["args"]) == (413, "PAYLOAD_TOO_LARGE", {"LIMIT": MAX_PROFILE_ROWS})
    status, body = upload(csv_api, "userId,bio\n" + f"a,{'x' * 1_000}\n" * 2_100)
    assert (status, body["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert profile_count(csv_api) == 0


def test_upload_needs_a_file_a_ks_and_the_write_permission(csv_api: Api, partner: Partner) -> None:
    response = csv_api.client.post(f"/api/v1/{UPLOAD}", headers={"Authorization": f"Bearer {csv_api.ks}"})
    assert (response.status_code, response.json()["args"]) == (400, {"PARAM_NAME": "csvFile"})
    assert upload(Api(csv_api.client, None), "userId\nada\n")[0] == 401
    assert upload(Api(csv_api.client, partner.mint(type=0, user_id="ada")), "userId\nada\n")[0] == 403
    assert imported(csv_api, "userId\nada\n", path="userProfile/importFromCsv") == {"rows": 1}


def test_cli_imports_a_file_the_running_app_sees(
    csv_api: Api, partner: Partner, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    board = scoring_board(csv_api)
    assert standings(csv_api, board) == []  # the app has loaded the partner's state before the import
    monkeypatch.setenv("GAMESERVICES_DATABASE_URL", database_url)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("userId,title\nada,CTO\nbob,Dev\n")
    bad.write_text("userId,title,email\nada,CTO,\n,Dev,\n")
    command = ["user-profile", "import", "--partner-id", str(partner.id)]
    refused = CliRunner().invoke(cli_app, [*command, str(bad)])
    assert refused.exit_code == 1 and "line 3, column userId: a user id is required" in refused.output
    checked = CliRunner().invoke(cli_app, [*command, str(good), "--dry-run"])
    assert checked.exit_code == 0 and "The file is valid: 2 rows" in checked.output
    assert profile_count(csv_api) == 0
    done = CliRunner().invoke(cli_app, [*command, str(good)])
    assert done.exit_code == 0 and "Imported 2 profiles." in done.output, done.output
    assert profile(csv_api, "ada")["profileData"] == {"title": "CTO"}
    assert standings(csv_api, board) == [("ada", 100, False)]
    unknown = CliRunner().invoke(cli_app, ["user-profile", "import", "--partner-id", "987654321", str(good)])
    assert unknown.exit_code == 1 and "Partner [987654321] not found" in unknown.output


def test_a_user_on_two_rows_refuses_the_whole_file_naming_the_line(csv_api: Api) -> None:
    text = HEADER + "kim,kim@example.com,,,,,,\nlee,,,,,,,\nkim,other@example.com,,,,,,\n"
    status, body = upload(csv_api, text)
    assert (status, body["code"]) == (400, "INVALID_CSV")
    assert body["args"] == {"PARAM_NAME": "csvFile", "INVALID_LINES": 1}
    assert body["errors"] == [
        {"line": 4, "column": "userId", "message": "the user id 'kim' is already on line 2"}
    ]
    assert profile_count(csv_api) == 0  # nor the other rows
