"""report/generate through API v1: every report type of a populated game object, read back with the csv module,
openpyxl and json, equals the list action it reports and the values worked out by hand here."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.app import API_PREFIX, create_app
from gameservices.api.report import router as report_router
from gameservices.projection import checkpoint
from gameservices.services.reports import generate as report
from gameservices.settings import Settings
from gameservices.storage import game_objects as object_repository
from gameservices.storage.database import read_transaction
from tests.conftest import Api, Partner

OPEN_WINDOW = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2099-01-01T00:00:00Z"}
HIDE_SPEAKERS = {
    "userDefaultPolicy": "display",
    "policies": [{"policy": "do_not_display", "matchCriteria": "byGroup", "values": ["speakers"]}],
}
FORMATS = ["csv", "xlsx", "json"]


@pytest.fixture(scope="module")
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """An in-process app serving report/generate."""
    app = create_app(settings, engine)
    if not any(getattr(route, "path", "") == f"{API_PREFIX}/report/generate" for route in app.routes):
        app.include_router(report_router, prefix=API_PREFIX)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def report_api(client: TestClient, partner: Partner) -> Api:
    return Api(client, partner.ks)


def at(minute: int) -> str:
    return f"2025-06-02T10:{minute:02d}:00.000Z"


def event(kind: str, user: str, minute: int, **fields: Any) -> dict[str, Any]:
    return {"eventType": kind, "userId": user, "eventTime": at(minute), **fields}


def rule(name: str, kind: str, rule_type: str = "count", **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "conditions": [{"fact": "eventType", "operator": "equal", "value": kind}],
        "type": rule_type,
        "metric": fields.pop("metric", "kuserId"),
        "groupBy": fields.pop("groupBy", "kuserId"),
        "goal": "1",
        "points": "1",
        "maxPoints": "unlimited",
        **fields,
    }


def add_rules(api: Api, object_type: str, object_id: str, *rules: dict[str, Any]) -> None:
    for body in rules:
        api.ok(
            "rule/create",
            {"gameObjectType": object_type, "gameObjectId": object_id, "mode": "distribute_points", **body},
        )


def generate(api: Api, body: dict[str, Any]) -> httpx.Response:
    return api.client.post(
        "/api/v1/report/generate", json=body, headers={"Authorization": f"Bearer {api.ks}"}
    )


def read_report(api: Api, body: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The report's columns and rows, read with the reader of its format (CSV cells read as text)."""
    response = generate(api, body)
    assert response.status_code == 200, response.text
    file_format = body.get("format", "csv")
    if file_format == "xlsx":
        workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
        return [str(name) for name in rows[0]], rows[1:]
    if file_format == "json":
        document = json.loads(response.content)
        columns = document["columns"]
        return columns, [[item[name] for name in columns] for item in document["objects"]]
    table = list(csv.reader(io.StringIO(response.content.decode())))
    return table[0], table[1:]


def as_read(cells: list[Any], file_format: str) -> list[Any]:
    """Expected cells as each reader gives them back: CSV text, or values with empty cells as None (XLSX)."""
    if file_format == "csv":
        return ["" if cell is None else str(cell) for cell in cells]
    return cells


def neutral(text: str, file_format: str) -> str:
    return text if file_format == "json" else "'" + text


def assert_report(
    api: Api, body: dict[str, Any], file_format: str, columns: list[str], rows: list[list[Any]]
) -> None:
    read_columns, read_rows = read_report(api, {**body, "format": file_format})
    assert read_columns == columns
    assert read_rows == [as_read(row, file_format) for row in rows]


# --- userScore -----------------------------------------------------------------------------------------


def populated_leaderboard(api: Api) -> str:
    board: str = api.ok(
        "leaderboard/create",
        {
            "name": "Conference",
            "status": "enabled",
            "virtualEventIds": ["1"],
            "participationPolicy": HIDE_SPEAKERS,
            **OPEN_WINDOW,
        },
    )["id"]
    watch = rule("Watch", "viewPeriod", "sum", metric="playTime", goal="60", points="10")
    add_rules(api, "leaderboard", board, watch, rule("@Chat", "comment", points="5"))
    api.ok("userProfile/upsert", {"userId": "ada", "fullName": "Ada Lovelace", "email": "ada@example.com"})
    api.ok(
        "userProfile/upsert", {"userId": "bob", "firstName": "Bob", "lastName": "Stone", "email": "b@x.io"}
    )
    api.ok("userProfile/upsert", {"userId": "spk", "email": "spk@example.com", "groups": ["speakers"]})
    events = [event("viewPeriod", "ada", 1, playTime=120), event("comment", "ada", 2)]
    events += [event("comment", "bob", 3), event("comment", "bob", 4), event("comment", "=2+3", 5)]
    events += [event("viewPeriod", "spk", 6, playTime=600)]
    api.ok("event/send", {"events": events})
    return board


@pytest.mark.parametrize("file_format", FORMATS)
def test_user_score_report(report_api: Api, file_format: str) -> None:
    board = populated_leaderboard(report_api)
    columns = ["rank", "score", "userId", "userName", "userEmail", "Watch", neutral("@Chat", file_format)]
    rows = [
        [1, 25, "ada", "Ada Lovelace", "ada@example.com", 20, 5],
        [2, 10, "bob", "Bob Stone", "b@x.io", 0, 10],
        [3, 5, neutral("=2+3", file_format), None, None, 0, 5],
        [None, 100, "spk", None, "spk@example.com", 100, 0],  # hidden: no rank, after the ranked users
    ]
    assert_report(report_api, {"reportType": "userScore", "gameObjectId": board}, file_format, columns, rows)


def test_user_score_report_equals_the_list_and_rule_progress(report_api: Api) -> None:
    board = populated_leaderboard(report_api)
    _, rows = read_report(report_api, {"reportType": "userScore", "gameObjectId": board, "format": "json"})
    listed = report_api.ok("userScore/list", {"gameObjectId": board, "includeHidden": False})["objects"]
    assert [row[:3] for row in rows[:3]] == [[item["rank"], item["score"], item["userId"]] for item in listed]
    for row in rows:
        progress = report_api.ok("userScore/ruleProgress", {"gameObjectId": board, "userId": row[2]})
        assert row[5:] == [item["score"] for item in progress["objects"]]


def test_the_file_is_an_attachment_named_after_the_report(report_api: Api, partner: Partner) -> None:
    board = populated_leaderboard(report_api)
    for file_format, media_type in [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("json", "application/json"),
    ]:
        response = generate(
            report_api, {"reportType": "userScore", "gameObjectId": board, "format": file_format}
        )
        assert response.headers["content-type"] == media_type
        disposition = response.headers["content-disposition"]
        assert disposition.startswith(f'attachment; filename="userScore_{partner.id}_{board}_20')
        assert disposition.endswith(f'.{file_format}"') and len(disposition.split("_")[-1]) == len(
            f'YYYYMMDD.{file_format}"'
        )
    assert (
        generate(report_api, {"reportType": "userScore", "gameObjectId": board})
        .headers["content-disposition"]
        .endswith('.csv"')
    )


# --- badge and userBadge -------------------------------------------------------------------------------


def populated_badge(api: Api) -> tuple[str, list[str]]:
    badge = api.ok(
        "badge/create",
        {
            "name": "Explorer",
            "virtualEventIds": ["1"],
            "rules": [
                rule(
                    "Watch two entries",
                    "viewPeriod",
                    "countUnique",
                    metric="entryId",
                    goal="2",
                    maxPoints="1",
                ),
                rule("Quiz", "quizSubmitted", maxPoints="1"),
            ],
        },
    )
    api.ok("userProfile/upsert", {"userId": "ada", "fullName": "Ada Lovelace", "email": "ada@example.com"})
    events = [event("viewPeriod", "ada", 1, entryId="e1"), event("viewPeriod", "ada", 2, entryId="e2")]
    events += [event("quizSubmitted", "ada", 3), event("viewPeriod", "bob", 4, entryId="e1")]
    api.ok("event/send", {"events": events})
    return badge["id"], [item["id"] for item in badge["rules"]]


@pytest.mark.parametrize("file_format", FORMATS)
def test_badge_reports(report_api: Api, file_format: str) -> None:
    badge, (watch, quiz) = populated_badge(report_api)
    people = ["userId", "userName", "userEmail", "status", "achievedTimestamp"]
    ada = ["ada", "Ada Lovelace", "ada@example.com", "ACHIEVED", at(3)]
    bob = ["bob", None, None, "IN_PROGRESS", None]
    assert_report(
        report_api,
        {"reportType": "badge", "gameObjectId": badge},
        file_format,
        [*people, "Watch two entries", "Quiz"],
        [[*ada, 2, 1], [*bob, 1, 0]],
    )
    assert_report(
        report_api,
        {"reportType": "userBadge", "gameObjectId": badge, "gameObjectType": "badge"},
        file_format,
        [*people, "ruleId", "ruleName", "progress", "completed"],
        [
            [*ada, watch, "Watch two entries", 2, True],
            [*ada, quiz, "Quiz", 1, True],
            [*bob, watch, "Watch two entries", 1, False],
            [*bob, quiz, "Quiz", 0, False],
        ]
        if file_format != "csv"
        else [
            [*ada, watch, "Watch two entries", 2, "True"],
            [*ada, quiz, "Quiz", 1, "True"],
            [*bob, watch, "Watch two entries", 1, "False"],
            [*bob, quiz, "Quiz", 0, "False"],
        ],
    )


def test_badge_report_equals_the_user_badge_list(report_api: Api) -> None:
    badge, _ = populated_badge(report_api)
    _, rows = read_report(report_api, {"reportType": "userBadge", "gameObjectId": badge, "format": "json"})
    listed = report_api.ok("userBadge/list", {"gameObjectId": badge})["objects"]
    expected = [
        [
            item["userId"],
            item["status"],
            item["achievedTimestamp"],
            data["id"],
            data["progress"],
            data["completed"],
        ]
        for item in listed
        for data in item["rulesData"]
    ]
    assert [[row[0], row[3], row[4], row[5], row[7], row[8]] for row in rows] == expected


# --- certificates --------------------------------------------------------------------------------------


def populated_certificate(api: Api, eligibility: str) -> str:
    certificate: str = api.ok(
        "certificate/create",
        {
            "name": "Training",
            "status": "enabled",
            "certificateEligibility": eligibility,
            "certifiedCreditsThreshold": 2 if eligibility == "once" else 1,
        },
    )["id"]
    group_by = "kuserId" if eligibility == "once" else "kuserId,entryId"
    watch = rule("Watch", "viewPeriod", "sum", metric="playTime", goal="60", groupBy=group_by)
    add_rules(api, "certificate", certificate, watch)
    api.ok("userProfile/upsert", {"userId": "ada", "fullName": "Ada Lovelace", "email": "ada@example.com"})
    events = [
        event("viewPeriod", "ada", 1, playTime=90, entryId="e1", entryName="Ethics"),
        event("viewPeriod", "ada", 2, playTime=60, entryId="e2", entryName="Tax"),
        event("viewPeriod", "bob", 3, playTime=70, entryId="e2", entryName="Tax"),
    ]
    api.ok("event/send", {"events": events})
    return certificate


def certificate_list(api: Api, certificate: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = api.ok("userCertificateReport/list", {"gameObjectId": certificate})[
        "objects"
    ]
    return rows


@pytest.mark.parametrize("file_format", FORMATS)
def test_certificate_reports_of_a_once_certificate(report_api: Api, file_format: str) -> None:
    certificate = populated_certificate(report_api, "once")
    listed = {row["userId"]: row for row in certificate_list(report_api, certificate)}
    # ada: 150 s → 2 points → 2 credits, certified by her second event; bob: 70 s → 1 credit.
    ada = ["ada", "Ada Lovelace", "ada@example.com", "CERTIFIED", 2, at(2)]
    bob = ["bob", None, None, "IN_PROGRESS", 1, None]
    assert_report(
        report_api,
        {"reportType": "certificate", "gameObjectId": certificate},
        file_format,
        ["id", "userId", "userName", "userEmail", "status", "credits", "certificationDate", "Watch"],
        [[listed["ada"]["id"], *ada, 2], [listed["bob"]["id"], *bob, 1]],
    )
    assert_report(
        report_api,
        {"reportType": "userCertificate", "gameObjectId": certificate},
        file_format,
        ["userId", "userName", "userEmail", "status", "credits", "certificationDate"],
        [ada, bob],
    )


@pytest.mark.parametrize("file_format", FORMATS)
def test_certificate_reports_of_a_per_entry_certificate(report_api: Api, file_format: str) -> None:
    certificate = populated_certificate(report_api, "perEntry")
    listed = {(row["userId"], row["entryId"]): row for row in certificate_list(report_api, certificate)}
    ada = ["ada", "Ada Lovelace", "ada@example.com"]
    rows = [
        [*ada, "e1", "Ethics", "CERTIFIED", 1, at(1)],
        [*ada, "e2", "Tax", "CERTIFIED", 1, at(2)],
        ["bob", None, None, "e2", "Tax", "CERTIFIED", 1, at(3)],
    ]
    people = [
        "userId",
        "userName",
        "userEmail",
        "entryId",
        "entryName",
        "status",
        "credits",
        "certificationDate",
    ]
    assert_report(
        report_api,
        {"reportType": "entryCertificate", "gameObjectId": certificate},
        file_format,
        ["id", *people, "Watch"],
        [[listed[(row[0], row[3])]["id"], *row, 1] for row in rows],
    )
    assert_report(
        report_api,
        {"reportType": "entryUserCertificate", "gameObjectId": certificate},
        file_format,
        people,
        rows,
    )


# --- userLeadScoring -------------------------------------------------------------------------------------


def populated_lead_scoring(api: Api) -> str:
    lead: str = api.ok(
        "leadScoring/create",
        {
            "name": "Leads",
            "status": "enabled",
            "participationPolicy": HIDE_SPEAKERS,
            "scoreGroups": [{"name": "Top", "range": [100, 99999]}, {"name": "Low", "range": [0, 99]}],
            **OPEN_WINDOW,
        },
    )["id"]
    cto = rule("Job title", "userProfile", points="100", maxPoints="100")
    cto["conditions"].append({"fact": "title", "operator": "equal", "value": "CTO"})
    add_rules(api, "leadScoring", lead, cto, rule("Chat", "comment", points="10"))
    api.ok("userProfile/upsert", {"userId": "eve", "fullName": "Eve", "profileData": {"title": "CTO"}})
    api.ok("userProfile/upsert", {"userId": "spk", "groups": ["speakers"]})
    chats = {"eve": 2, "hal": 5, "fay": 3, "gus": 1, "spk": 1}
    events = [event("comment", user, minute) for minute, user in enumerate(chats) for _ in range(chats[user])]
    api.ok("event/send", {"events": events})
    return lead


@pytest.mark.parametrize("file_format", FORMATS)
def test_lead_scoring_detailed_report(report_api: Api, file_format: str) -> None:
    lead = populated_lead_scoring(report_api)
    columns = [
        "Absolute Rank",
        "Total Lead Score",
        "User ID",
        "User Name",
        "Email",
        "S-Group",
        "Rank within S-Group",
        "P-Group",
        "Rank within P-Group",
        "Percentile",
        "Engagement Score",
        "User Profile Score",
        "Job title",
        "Chat",
    ]
    rows = [
        [1, 120, "eve", "Eve", None, "Top", 1, "Hot Leads", 1, 100, 20, 100, 100, 20],
        [2, 50, "hal", None, None, "Low", 1, "Warm Leads", 1, 66.67, 50, 0, 0, 50],
        [3, 30, "fay", None, None, "Low", 2, "Cold Leads", 1, 33.33, 30, 0, 0, 30],
        [4, 10, "gus", None, None, "Low", 3, "Cold Leads", 2, 0, 10, 0, 0, 10],
        [None, 10, "spk", None, None, "Low", None, None, None, None, 10, 0, 0, 10],
    ]
    assert_report(
        report_api, {"reportType": "userLeadScoring", "gameObjectId": lead}, file_format, columns, rows
    )
    listed = report_api.ok("userLeadScoring/list", {"gameObjectId": lead})["objects"]
    assert [
        [r[name] for name in ("rank", "score", "userId", "scoreGroup", "percentageGroup", "percentile")]
        + [r["engagementScore"], r["profileScore"]]
        for r in listed
    ] == [[*row[:3], row[5], row[7], *row[9:12]] for row in rows[:4]]


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_lone_lead_is_at_the_hundredth_percentile(report_api: Api, file_format: str) -> None:
    lead: str = report_api.ok(
        "leadScoring/create",
        {
            "name": "Leads",
            "status": "enabled",
            "scoreGroups": [{"name": "All", "range": [0, 99]}],
            **OPEN_WINDOW,
        },
    )["id"]
    add_rules(report_api, "leadScoring", lead, rule("Chat", "comment", points="10"))
    report_api.ok("event/send", {"events": [event("comment", "eve", 1)]})
    [listed] = report_api.ok("userLeadScoring/list", {"gameObjectId": lead})["objects"]
    assert (listed["rank"], listed["percentile"], listed["percentageGroup"]) == (1, 100, "Hot Leads")
    columns, rows = read_report(
        report_api, {"reportType": "userLeadScoring", "gameObjectId": lead, "format": file_format}
    )
    [row] = rows
    cells = dict(zip(columns, row, strict=True))
    assert [cells["P-Group"], cells["Percentile"]] == as_read(["Hot Leads", 100], file_format)


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_lead_is_in_the_percentage_group_of_the_percentile_shown(report_api: Api, file_format: str) -> None:
    thirds = [
        {"name": "Top", "range": [66.67, 100]},
        {"name": "Middle", "range": [33.34, 66.66]},
        {"name": "Bottom", "range": [0, 33.33]},
    ]
    lead: str = report_api.ok(
        "leadScoring/create",
        {"name": "Leads", "status": "enabled", "percentageGroups": thirds, **OPEN_WINDOW},
    )["id"]
    add_rules(report_api, "leadScoring", lead, rule("Chat", "comment", points="10"))
    chats = {"eve": 4, "hal": 3, "fay": 2, "gus": 1}
    events = [event("comment", user, minute) for minute, user in enumerate(chats) for _ in range(chats[user])]
    report_api.ok("event/send", {"events": events})
    # 66.67 and 33.33 are what the leads show: the groups holding them are theirs.
    expected = [(100, "Top"), (66.67, "Top"), (33.33, "Bottom"), (0, "Bottom")]
    listed = report_api.ok("userLeadScoring/list", {"gameObjectId": lead})["objects"]
    assert [(r["percentile"], r["percentageGroup"]) for r in listed] == expected
    columns, rows = read_report(
        report_api, {"reportType": "userLeadScoring", "gameObjectId": lead, "format": file_format}
    )
    shown = [dict(zip(columns, row, strict=True)) for row in rows]
    assert [[cells["Percentile"], cells["P-Group"]] for cells in shown] == [
        as_read(list(pair), file_format) for pair in expected
    ]
    _, summary = read_report(
        report_api,
        {"reportType": "userLeadScoring", "gameObjectId": lead, "format": file_format, "summary": True},
    )
    assert [row[2] for row in summary] == as_read([2, 0, 2], file_format)


def _open_lead_scoring(api: Api) -> str:
    """An enabled lead-scoring object open to every event time, with one score group for everyone."""
    lead: str = api.ok(
        "leadScoring/create",
        {
            "name": "Leads",
            "status": "enabled",
            "scoreGroups": [{"name": "All", "range": [0, 999]}],
            **OPEN_WINDOW,
        },
    )["id"]
    return lead


def test_profile_points_of_nested_conditions_are_profile_points(report_api: Api) -> None:
    lead = _open_lead_scoring(report_api)
    profile = [{"fact": "eventType", "operator": "equal", "value": "userProfile"}]
    chat = [{"fact": "eventType", "operator": "equal", "value": "comment"}]
    nested = rule("Job title", "userProfile", points="100", maxPoints="100")
    nested["conditions"] = {"all": [{"all": profile}, {"fact": "title", "operator": "equal", "value": "CTO"}]}
    alone = rule("Country", "userProfile", points="5", maxPoints="5")
    alone["conditions"] = {"any": [{"all": profile}]}
    either = rule("Either", "userProfile", points="1", maxPoints="1")
    either["conditions"] = {"any": [*profile, *chat]}
    add_rules(report_api, "leadScoring", lead, nested, alone, either, rule("Chat", "comment", points="10"))
    report_api.ok("userProfile/upsert", {"userId": "eve", "profileData": {"title": "CTO"}})
    report_api.ok("event/send", {"events": [event("comment", "eve", 1)]})
    [listed] = report_api.ok("userLeadScoring/list", {"gameObjectId": lead})["objects"]
    # Either rule may score without a profile change: its point is engagement.
    assert (listed["score"], listed["profileScore"], listed["engagementScore"]) == (116, 105, 11)
    columns, [row] = read_report(
        report_api, {"reportType": "userLeadScoring", "gameObjectId": lead, "format": "json"}
    )
    cells = dict(zip(columns, row, strict=True))
    assert (cells["User Profile Score"], cells["Engagement Score"]) == (105, 11)


def test_a_rule_taking_other_event_types_too_scores_engagement(report_api: Api) -> None:
    lead = _open_lead_scoring(report_api)
    profile = rule("Job title", "userProfile", points="100", maxPoints="100")
    listed = rule("Profile or chat", "userProfile", points="10")
    listed["conditions"] = [{"fact": "eventType", "operator": "in", "value": ["userProfile", "comment"]}]
    written = rule("Profile or chat, written", "userProfile", points="1")
    written["conditions"] = [{"fact": "eventType", "operator": "in", "value": "userProfile, comment"}]
    add_rules(report_api, "leadScoring", lead, profile, listed, written)
    report_api.ok("userProfile/upsert", {"userId": "eve"})
    report_api.ok("event/send", {"events": [event("comment", "eve", 1)]})
    [lead_row] = report_api.ok("userLeadScoring/list", {"gameObjectId": lead})["objects"]
    # Only the rule that needs the userProfile event gives profile points.
    assert (lead_row["score"], lead_row["profileScore"], lead_row["engagementScore"]) == (122, 100, 22)


@pytest.mark.parametrize("file_format", FORMATS)
def test_lead_scoring_summary_report(report_api: Api, file_format: str) -> None:
    lead = populated_lead_scoring(report_api)
    columns = [
        "Percentage Group Name",
        "Range",
        "Number of Users",
        "Average Score",
        "Average Engagement Score",
        "Average User Profile Score",
    ]
    rows = [
        ["Hot Leads", "80-100", 1, 120, 20, 100],
        ["Warm Leads", "50-79", 1, 50, 50, 0],
        ["Cold Leads", "0-49", 2, 20, 20, 0],
    ]
    body = {"reportType": "userLeadScoring", "gameObjectId": lead, "summary": True}
    assert_report(report_api, body, file_format, columns, rows)


# --- reportFormat in_minutes ----------------------------------------------------------------------------


def minutes_rule(name: str, **fields: Any) -> dict[str, Any]:
    """A sum of playTime (seconds) whose progress is reported in minutes."""
    return rule(name, "viewPeriod", "sum", metric="playTime", goal="60", reportFormat="in_minutes", **fields)


def views(*seconds: tuple[str, str, int]) -> list[dict[str, Any]]:
    return [
        event("viewPeriod", user, minute, entryId=entry, playTime=played)
        for minute, (user, entry, played) in enumerate(seconds)
    ]


@pytest.mark.parametrize("file_format", FORMATS)
def test_in_minutes_progress_in_badge_lists_and_reports(report_api: Api, file_format: str) -> None:
    body = {
        "name": "Viewer",
        "rules": [minutes_rule("Minutes", maxPoints="1"), rule("Quiz", "quizSubmitted")],
    }
    badge = report_api.ok("badge/create", body)
    minutes, quiz = (item["id"] for item in badge["rules"])
    report_api.ok("event/send", {"events": views(("ada", "e1", 90), ("ada", "e2", 10), ("bob", "e1", 30))})
    listed = report_api.ok("userBadge/list", {"gameObjectId": badge["id"]})["objects"]
    assert [[item["progress"] for item in row["rulesData"]] for row in listed] == [[1.67, 0], [0.5, 0]]
    people = ["userId", "userName", "userEmail", "status", "achievedTimestamp"]
    ada, bob = ["ada", None, None, "IN_PROGRESS", None], ["bob", None, None, "IN_PROGRESS", None]
    assert_report(
        report_api,
        {"reportType": "badge", "gameObjectId": badge["id"]},
        file_format,
        [*people, "Minutes", "Quiz"],
        [[*ada, 1.67, 0], [*bob, 0.5, 0]],
    )
    _, rows = read_report(
        report_api, {"reportType": "userBadge", "gameObjectId": badge["id"], "format": file_format}
    )
    assert [row[5:8] for row in rows] == [
        as_read([minutes, "Minutes", 1.67], file_format),
        as_read([quiz, "Quiz", 0], file_format),
        as_read([minutes, "Minutes", 0.5], file_format),
        as_read([quiz, "Quiz", 0], file_format),
    ]


def test_in_minutes_progress_in_rule_progress(report_api: Api) -> None:
    body = {"name": "Watch", "status": "enabled", "virtualEventIds": [], **OPEN_WINDOW}
    board = report_api.ok("leaderboard/create", body)["id"]
    add_rules(
        report_api,
        "leaderboard",
        board,
        minutes_rule("Minutes"),
        rule("Seconds", "viewPeriod", "sum", metric="playTime", goal="60"),
    )
    report_api.ok("event/send", {"events": views(("ada", "e1", 100), ("ada", "e1", 50))})
    progress = report_api.ok("userScore/ruleProgress", {"gameObjectId": board, "userId": "ada"})["objects"]
    assert {item["name"]: (item["progress"], item["goal"]) for item in progress} == {
        "Minutes": (2.5, "60"),
        "Seconds": (150, "60"),
    }


@pytest.mark.parametrize("eligibility", ["once", "perEntry"])
def test_in_minutes_progress_in_certificate_lists(report_api: Api, eligibility: str) -> None:
    certificate = report_api.ok(
        "certificate/create",
        {
            "name": "CPE",
            "status": "enabled",
            "certificateEligibility": eligibility,
            "certifiedCreditsThreshold": 1,
        },
    )["id"]
    add_rules(report_api, "certificate", certificate, minutes_rule("Minutes", groupBy="kuserId,entryId"))
    report_api.ok("event/send", {"events": views(("ada", "e1", 90), ("ada", "e2", 100), ("ada", "e2", 20))})
    listed = certificate_list(report_api, certificate)
    shown = {(row["entryId"], item["score"], item["progress"]) for row in listed for item in row["rulesData"]}
    if eligibility == "once":
        assert shown == {(None, 3, 3.5)}
    else:
        assert shown == {("e1", 1, 1.5), ("e2", 2, 2)}


# --- refusals ------------------------------------------------------------------------------------------


def test_reports_that_do_not_fit_the_game_object_are_refused(report_api: Api) -> None:
    board = populated_leaderboard(report_api)
    once = populated_certificate(report_api, "once")
    cases = [
        ({"reportType": "userLeadScoring", "gameObjectId": board}, 400, "reportType"),
        ({"reportType": "badge", "gameObjectId": once}, 400, "reportType"),
        ({"reportType": "userScore", "gameObjectId": board, "summary": True}, 400, "summary"),
        (
            {"reportType": "userScore", "gameObjectId": board, "gameObjectType": "badge"},
            400,
            "gameObjectType",
        ),
        ({"reportType": "userScore", "gameObjectId": board, "format": "pdf"}, 400, "format"),
        ({"reportType": "scores", "gameObjectId": board}, 400, "reportType"),
        ({"gameObjectId": board}, 400, "reportType"),
        ({"reportType": "userScore", "gameObjectId": "0123456789abcdef01234567"}, 404, None),
    ]
    for body, status, field in cases:
        response = generate(report_api, body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["args"].get("PARAM_NAME") == field, body
    assert (
        generate(Api(report_api.client, None), {"reportType": "userScore", "gameObjectId": board}).status_code
        == 401
    )


def test_the_user_score_report_serves_every_object_type(report_api: Api) -> None:
    certificate = populated_certificate(report_api, "once")
    columns, rows = read_report(
        report_api, {"reportType": "userScore", "gameObjectId": certificate, "format": "json"}
    )
    assert columns == ["rank", "score", "userId", "userName", "userEmail", "Watch"]
    assert [row[:3] for row in rows] == [[1, 2, "ada"], [2, 1, "bob"]]


def test_a_large_report_is_written_a_thousand_rows_at_a_time(
    client: TestClient, report_api: Api, partner: Partner
) -> None:
    board: str = report_api.ok(
        "leaderboard/create", {"name": "Crowd", "status": "enabled", "virtualEventIds": ["1"], **OPEN_WINDOW}
    )["id"]
    add_rules(report_api, "leaderboard", board, rule("Chat", "comment"))
    report_api.ok("event/send", {"events": [event("comment", f"user{n:04d}", 1) for n in range(2_500)]})
    caller = client.app.state
    checkpoint.bring_up(caller.engine, caller.live, partner.id)  # as report/generate does
    with read_transaction(caller.engine) as conn:
        record = object_repository.get_game_object(conn, partner_id=partner.id, object_id=board)
        assert record is not None
        plan = report.plan(
            partner_id=record.partner_id,
            record=record,
            report_type="userScore",
            file_format="csv",
            summary=False,
            day=date(2025, 6, 2),
        )
        pieces = list(report.render(conn, live=caller.live, report=plan))
    assert plan.file_name == f"userScore_{record.partner_id}_{board}_20250602.csv"
    assert [piece.count(b"\r\n") for piece in pieces] == [1_001, 1_000, 500]  # the header goes with the first
    rows = list(csv.reader(io.StringIO(b"".join(pieces).decode())))
    assert rows[1] == ["1", "1", "user0000", "", "", "1"] and rows[-1][:3] == ["2500", "1", "user2499"]


def test_a_rule_named_as_a_fixed_column_keeps_both(report_api: Api) -> None:
    board = report_api.ok(
        "leaderboard/create", {"name": "Board", "status": "enabled", "virtualEventIds": [], **OPEN_WINDOW}
    )["id"]
    add_rules(
        report_api,
        "leaderboard",
        board,
        rule("score", "pollAnswered", points="5"),
        rule("Chat", "comment", points="7"),
    )
    report_api.ok("event/send", {"events": [event("pollAnswered", "ada", 1), event("comment", "ada", 2)]})
    response = generate(report_api, {"reportType": "userScore", "gameObjectId": board, "format": "json"})
    assert response.status_code == 200, response.text
    document = json.loads(response.content)
    columns, row = document["columns"], document["objects"][0]
    assert row["score"] == 12, row  # the user's total; the rule named "score" is a column of its own
    assert len(set(columns)) == len(columns) and any(name.startswith("score (") for name in columns), columns
