"""The four certificate reports answer for a certificate of either eligibility (docs/reports.md): per user
and entry for a perEntry certificate; per user, or per user and contributing entry, for a once certificate."""

from typing import Any

import pytest

from tests.api.test_report import (
    FORMATS,
    add_rules,
    assert_report,
    at,
    certificate_list,
    client,
    event,
    populated_certificate,
    report_api,
    rule,
)
from tests.conftest import Api

__all__ = ["client", "report_api"]  # the fixtures, shared with test_report

PEOPLE = ["userId", "userName", "userEmail"]
ENTRY = ["entryId", "entryName"]
STATUS = ["status", "credits", "certificationDate"]
ADA = ["ada", "Ada Lovelace", "ada@example.com"]
BOB = ["bob", None, None]
CARL = ["carl", None, None]


@pytest.mark.parametrize("file_format", FORMATS)
def test_once_reports_of_a_per_entry_certificate_have_a_row_per_user_and_entry(
    report_api: Api, file_format: str
) -> None:
    certificate = populated_certificate(report_api, "perEntry")
    listed = {(row["userId"], row["entryId"]): row for row in certificate_list(report_api, certificate)}
    rows = [
        [*ADA, "e1", "Ethics", "CERTIFIED", 1, at(1)],
        [*ADA, "e2", "Tax", "CERTIFIED", 1, at(2)],
        [*BOB, "e2", "Tax", "CERTIFIED", 1, at(3)],
    ]
    assert_report(
        report_api,
        {"reportType": "certificate", "gameObjectId": certificate},
        file_format,
        ["id", *PEOPLE, *ENTRY, *STATUS, "Watch"],
        [[listed[(row[0], row[3])]["id"], *row, 1] for row in rows],
    )
    assert_report(
        report_api,
        {"reportType": "userCertificate", "gameObjectId": certificate},
        file_format,
        [*PEOPLE, *ENTRY, *STATUS],
        rows,
    )


def once_certificate_with_entries(api: Api) -> str:
    """A once certificate scored by a rule grouped by entry (Watch) and one that is not (Quiz)."""
    certificate: str = api.ok(
        "certificate/create",
        {
            "name": "Training",
            "status": "enabled",
            "certificateEligibility": "once",
            "certifiedCreditsThreshold": 2,
        },
    )["id"]
    watch = rule("Watch", "viewPeriod", "sum", metric="playTime", goal="60", groupBy="kuserId,entryId")
    add_rules(api, "certificate", certificate, watch, rule("Quiz", "quizAnswered"))
    api.ok("userProfile/upsert", {"userId": "ada", "fullName": "Ada Lovelace", "email": "ada@example.com"})
    events = [
        event("viewPeriod", "ada", 1, playTime=90, entryId="e1", entryName="Ethics"),
        event("viewPeriod", "ada", 2, playTime=60, entryId="e2", entryName="Tax"),
        event("viewPeriod", "bob", 3, playTime=70, entryId="e2", entryName="Tax"),
        event("quizAnswered", "ada", 4),
        event("quizAnswered", "carl", 5),
    ]
    api.ok("event/send", {"events": events})
    return certificate


@pytest.mark.parametrize("file_format", FORMATS)
def test_entry_reports_of_a_once_certificate_have_a_row_per_contributing_entry(
    report_api: Api, file_format: str
) -> None:
    certificate = once_certificate_with_entries(report_api)
    ids = {row["userId"]: row["id"] for row in certificate_list(report_api, certificate)}
    # ada: 1 Watch point from each entry and 1 Quiz point (no entry): 3 credits, certified at her second
    # event; bob: 1 point from e2; carl: 1 Quiz point only, so his one row has no entry.
    ada, bob, carl = (
        [*ADA, "CERTIFIED", 3, at(2)],
        [*BOB, "IN_PROGRESS", 1, None],
        [*CARL, "IN_PROGRESS", 1, None],
    )
    rows = [
        (ada, None, None, [0, 1]),
        (ada, "e1", "Ethics", [1, 0]),
        (ada, "e2", "Tax", [1, 0]),
        (bob, "e2", "Tax", [1, 0]),
        (carl, None, None, [0, 1]),
    ]
    assert_report(
        report_api,
        {"reportType": "entryCertificate", "gameObjectId": certificate},
        file_format,
        ["id", *PEOPLE, *ENTRY, *STATUS, "Watch", "Quiz"],
        [[ids[user[0]], *user[:3], entry, name, *user[3:], *points] for user, entry, name, points in rows],
    )
    assert_report(
        report_api,
        {"reportType": "entryUserCertificate", "gameObjectId": certificate},
        file_format,
        [*PEOPLE, *ENTRY, *STATUS],
        [[*user[:3], entry, name, *user[3:]] for user, entry, name, _ in rows],
    )
    # One row per user in the once reports; each user's entry rows above add up to these points.
    assert_report(
        report_api,
        {"reportType": "certificate", "gameObjectId": certificate},
        file_format,
        ["id", *PEOPLE, *STATUS, "Watch", "Quiz"],
        [[ids["ada"], *ada, 2, 1], [ids["bob"], *bob, 1, 0], [ids["carl"], *carl, 0, 1]],
    )


def test_entry_reports_of_a_once_certificate_without_entries_leave_them_empty(report_api: Api) -> None:
    certificate = populated_certificate(report_api, "once")  # its rule is grouped by user only
    body: dict[str, Any] = {"reportType": "entryUserCertificate", "gameObjectId": certificate}
    assert_report(
        report_api,
        body,
        "json",
        [*PEOPLE, *ENTRY, *STATUS],
        [[*ADA, None, None, "CERTIFIED", 2, at(2)], [*BOB, None, None, "IN_PROGRESS", 1, None]],
    )
