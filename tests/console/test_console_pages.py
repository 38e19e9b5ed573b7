"""The console's pages through the application: sign-in, sessions, CSRF, the API's validation messages shown in
place, authorisation exactly as the API's, and tenancy."""

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, update

from gameservices.console import report as console_report
from gameservices.services.access.partner import define_role
from gameservices.services.reports import generate as report_service
from gameservices.storage.database import write_transaction
from gameservices.storage.schema import console_sessions
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner
from tests.console.conftest import ConsoleClient

LEADERBOARD_FORM = {
    "name": "Conference",
    "status": "enabled",
    "startDate": "2020-01-01T00:00:00Z",
    "endDate": "2040-01-01T00:00:00Z",
    "virtualEventIds": "",
}
PAGES = (
    "/console/",
    "/console/badges",
    "/console/certificates",
    "/console/leadScorings",
    "/console/displayLinks",
    "/console/schedules",
    "/console/leaderboards",
    "/console/rules",
    "/console/users?userId=x",
    "/console/import",
    "/console/reports",
    "/console/widget",
)


def _leaderboard(console: ConsoleClient) -> str:
    response = console.post("/console/leaderboards", LEADERBOARD_FORM, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).rsplit("/", 1)[1]


@pytest.mark.parametrize("path", PAGES)
def test_pages_without_a_session_send_the_browser_to_sign_in(browser: ConsoleClient, path: str) -> None:
    response = browser.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/signin"


@pytest.mark.parametrize("path", PAGES)
def test_signed_in_pages_answer_with_the_security_headers(console: ConsoleClient, path: str) -> None:
    response = console.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_sign_in_cookie_is_httponly_strict_and_scoped(browser: ConsoleClient, partner: Partner) -> None:
    response = browser.client.post(
        "/console/signin",
        data={"partnerId": str(partner.id), "secret": partner.secret},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert response.status_code == 303
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie


@pytest.mark.parametrize(
    "form",
    [
        {"partnerId": "{id}", "secret": "wrong"},
        {"partnerId": "999999", "secret": "{secret}"},
        {"ks": "garbage"},
        {"partnerId": "abc", "secret": "x"},
        # A digit to str.isdigit() that int() refuses.
        {"partnerId": "\u00b2", "secret": "x"},
    ],
)
def test_a_failed_sign_in_says_nothing_about_which_part_was_wrong(
    browser: ConsoleClient, partner: Partner, form: dict[str, str]
) -> None:
    data = {key: value.format(id=partner.id, secret=partner.secret) for key, value in form.items()}
    response = browser.client.post("/console/signin", data=data)
    assert response.status_code == 401
    assert "Sign-in failed: check the partner id and the admin secret or KS" in response.text
    assert "set-cookie" not in response.headers


def test_sign_in_with_an_admin_ks_but_not_a_user_ks(browser: ConsoleClient, partner: Partner) -> None:
    assert (
        browser.client.post("/console/signin", data={"ks": partner.mint(type=0, user_id="u")}).status_code
        == 401
    )
    response = browser.client.post("/console/signin", data={"ks": partner.ks})
    assert response.status_code == 200 and f"Partner {partner.id}" in response.text


def test_a_post_without_the_csrf_token_is_refused(console: ConsoleClient) -> None:
    response = console.client.post("/console/leaderboards", data=LEADERBOARD_FORM)
    assert response.status_code == 403 and "CSRF_TOKEN_INVALID" in response.text
    forged = console.client.post("/console/leaderboards", data={**LEADERBOARD_FORM, "csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert "Conference" not in console.get("/console/leaderboards").text


def test_sign_out_ends_the_session_on_the_server(console: ConsoleClient) -> None:
    cookie = console.client.cookies.get("gs_console")
    assert console.post("/console/signout", follow_redirects=False).status_code == 303
    console.client.cookies.set("gs_console", str(cookie), path="/console")
    assert console.get("/console/", follow_redirects=False).status_code == 303


def test_an_expired_session_is_refused(console: ConsoleClient, engine: Engine) -> None:
    with write_transaction(engine) as conn:
        conn.execute(update(console_sessions).values(expires_at=1))
    assert console.get("/console/", follow_redirects=False).headers["location"] == "/console/signin"


def test_leaderboard_form_shows_the_apis_validation_message_in_place(console: ConsoleClient) -> None:
    response = console.post("/console/leaderboards", {**LEADERBOARD_FORM, "status": "sleeping"})
    assert response.status_code == 400
    assert "INVALID_ENUM_VALUE" in response.text or "VALIDATION" in response.text
    assert 'value="Conference"' in response.text  # the form keeps what was typed
    response = console.post("/console/leaderboards", {**LEADERBOARD_FORM, "endDate": "2019-01-01T00:00:00Z"})
    assert response.status_code == 400 and 'role="alert"' in response.text


def test_leaderboard_create_edit_and_status_reach_the_api(console: ConsoleClient, api: Api) -> None:
    object_id = _leaderboard(console)
    assert api.ok("leaderboard/get", {"id": object_id})["name"] == "Conference"
    response = console.post(f"/console/leaderboards/{object_id}", {**LEADERBOARD_FORM, "name": "Renamed"})
    assert response.status_code == 200 and "Renamed" in response.text
    console.post(f"/console/leaderboards/{object_id}/status", {"status": "disabled"})
    assert api.ok("leaderboard/get", {"id": object_id})["status"] == "disabled"


def test_rule_editor_shows_the_apis_errors_and_creates_the_rule(console: ConsoleClient, api: Api) -> None:
    object_id = _leaderboard(console)
    bad = console.post("/console/rules", {"body": "{not json", "gameObjectId": object_id})
    assert bad.status_code == 400 and "The request body is not valid JSON" in bad.text
    rule = guide.rule_6_7(object_id)
    invalid = console.post("/console/rules", {"body": json.dumps({**rule, "type": "nope"})})
    assert invalid.status_code == 400 and "type" in invalid.text
    created = console.post("/console/rules", {"body": json.dumps(rule)}, follow_redirects=False)
    rule_id = str(created.headers["location"]).rsplit("/", 1)[1]
    assert api.ok("rule/get", {"id": rule_id})["name"] == rule["name"]
    console.post(f"/console/rules/{rule_id}/status", {"status": "disabled"})
    assert api.ok("rule/get", {"id": rule_id})["status"] == "disabled"
    edited = console.post(f"/console/rules/{rule_id}", {"body": json.dumps({"goal": "-5"})})
    assert edited.status_code == 400 and 'role="alert"' in edited.text


def test_a_role_limited_to_reading_cannot_write_through_the_console(
    browser: ConsoleClient, partner: Partner, engine: Engine
) -> None:
    with write_transaction(engine) as conn:
        define_role(conn, partner_id=partner.id, role_id="viewer", name="Viewer", permissions=["GAME_BASE"])
    page = browser.client.post("/console/signin", data={"ks": partner.mint(privileges="setrole:viewer")})
    assert page.status_code == 200
    browser.csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert browser.get("/console/leaderboards").status_code == 200
    refused = browser.post("/console/leaderboards", LEADERBOARD_FORM)
    assert refused.status_code == 403 and "SERVICE_FORBIDDEN" in refused.text
    assert browser.post("/console/signout", follow_redirects=False).status_code == 303
    assert browser.get("/console/", follow_redirects=False).status_code == 303


def test_another_partners_objects_answer_like_unknown_ones(
    console: ConsoleClient, new_partner: Any, app_client: Any
) -> None:
    owner: Partner = new_partner("owner")
    owned = Api(app_client, owner.ks).ok("leaderboard/create", guide.leaderboard_4_2())["id"]
    rule = Api(app_client, owner.ks).ok("rule/create", guide.rule_6_7(owned))["id"]
    unknown = "0" * 12 + owned[12:]
    for template in (
        "/console/leaderboards/{}",
        "/console/leaderboards/{}/user?userId=a",
        "/console/rules/{}",
    ):
        mine, theirs = console.get(template.format(owned)), console.get(template.format(unknown))
        assert mine.status_code == theirs.status_code == 404
    for path in (f"/console/rules/{rule}/status", f"/console/leaderboards/{owned}/status"):
        assert console.post(path, {"status": "disabled"}).status_code == 404
    assert Api(app_client, owner.ks).ok("rule/get", {"id": rule})["status"] == "enabled"


def test_import_dry_run_reports_bad_rows_and_applies_nothing(console: ConsoleClient) -> None:
    data = b"userId,eventType,score\n,like,1\nu2,like,abc\n"
    response = console.post(
        "/console/import", files={"csvFile": ("events.csv", io.BytesIO(data), "text/csv")}
    )
    assert response.status_code == 400
    assert 'id="row-report"' in response.text and "INVALID_CSV" in response.text


def test_report_downloads_a_file(console: ConsoleClient) -> None:
    object_id = _leaderboard(console)
    response = console.get(
        f"/console/reports/download?gameObjectId={object_id}&reportType=userScore&format=csv"
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    bad = console.get(f"/console/reports/download?gameObjectId={object_id}&reportType=nope")
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("path", "controller", "body"),
    [
        ("badges", "badge", guide.badge_7_1),
        ("leadScorings", "leadScoring", guide.lead_scoring_9_3),
    ],
)
def test_game_object_editor_creates_edits_and_toggles_like_the_api(
    console: ConsoleClient, api: Api, path: str, controller: str, body: Any
) -> None:
    invalid = console.post(f"/console/{path}", {"body": json.dumps({**body(), "name": ""})})
    assert invalid.status_code == 400 and 'id="editor-error"' in invalid.text
    status, answer = api.call(f"{controller}/create", {**body(), "name": ""})
    assert status == 400 and answer["message"] in invalid.text.replace("&#34;", '"').replace("&#39;", "'")
    created = console.post(f"/console/{path}", {"body": json.dumps(body())}, follow_redirects=False)
    assert created.status_code == 303
    object_id = str(created.headers["location"]).rsplit("/", 1)[1]
    edited = console.post(f"/console/{path}/{object_id}", {"body": json.dumps({"name": "Renamed"})})
    assert edited.status_code == 200 and api.ok(f"{controller}/get", {"id": object_id})["name"] == "Renamed"
    wanted = (
        "disabled" if api.ok(f"{controller}/get", {"id": object_id})["status"] != "disabled" else "enabled"
    )
    console.post(f"/console/{path}/{object_id}/status", {"status": wanted})
    assert api.ok(f"{controller}/get", {"id": object_id})["status"] == wanted


def test_certificate_editor_checks_the_background_like_the_api(console: ConsoleClient, api: Api) -> None:
    response = console.post(
        "/console/certificates", {"body": json.dumps(guide.certificate_8_2())}, follow_redirects=False
    )
    status, _ = api.call("certificate/create", guide.certificate_8_2())
    assert (response.status_code == 303) == (status == 200)


def test_display_links_screen_lists_and_revokes(console: ConsoleClient, api: Api) -> None:
    object_id = _leaderboard(console)
    made = console.post(f"/console/leaderboards/{object_id}/displayLinks", {"title": "Hall", "top": "5"})
    assert made.status_code == 200
    link = api.ok("displayLink/list", {})["objects"][0]
    assert link["title"] == "Hall" and link["top"] == 5
    listed = console.get("/console/displayLinks")
    assert link["url"] in listed.text
    bad = console.post(f"/console/leaderboards/{object_id}/displayLinks", {"top": "101"})
    assert bad.status_code == 400 and 'role="alert"' in bad.text
    console.post(f"/console/displayLinks/{link['id']}/revoke")
    assert api.ok("displayLink/list", {})["totalCount"] == 0
    assert console.post(f"/console/displayLinks/{link['id']}/revoke").status_code == 404


def test_schedules_screen_plans_and_cancels(console: ConsoleClient, api: Api) -> None:
    object_id = _leaderboard(console)
    form = {"gameObjectType": "leaderboard", "gameObjectId": object_id, "scheduledAction": "disable"}
    missing = console.post("/console/schedules", form)
    assert missing.status_code == 400 and "scheduledDate" in missing.text
    planned = console.post("/console/schedules", {**form, "scheduledDate": "2035-01-01T00:00:00Z"})
    assert planned.status_code == 200
    (schedule,) = api.ok("scheduledGameObject/list", {"gameObjectId": object_id})["objects"]
    assert schedule["status"] == "pending"
    console.post(f"/console/schedules/{schedule['id']}/cancel")
    assert api.ok("scheduledGameObject/get", {"id": schedule["id"]})["status"] == "cancelled"


def test_clone_and_team_standings_on_the_leaderboard_page(console: ConsoleClient, api: Api) -> None:
    body = {
        **guide.leaderboard_4_2(),
        "subLeaderboards": [{"id": 7, "name": "Countries", "filterPaths": ["c"]}],
    }
    object_id = api.ok("leaderboard/create", body)["id"]
    page = console.get(f"/console/leaderboards/{object_id}")
    assert "Sub-leaderboard Countries (id 7)" in page.text
    cloned = console.post(f"/console/leaderboards/{object_id}/clone", follow_redirects=False)
    clone_id = str(cloned.headers["location"]).rsplit("/", 1)[1]
    assert clone_id != object_id and api.ok("leaderboard/get", {"id": clone_id})["name"]


def test_user_screen_shows_scores_rule_progress_and_lead_scores(console: ConsoleClient, api: Api) -> None:
    board = {
        **guide.leaderboard_4_2(),
        "status": "enabled",
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": "2040-01-01T00:00:00Z",
    }
    object_id = api.ok("leaderboard/create", board)["id"]
    api.ok("rule/create", guide.rule_6_7(object_id))
    lead = api.ok(
        "leadScoring/create",
        {**guide.lead_scoring_9_3(), **{k: board[k] for k in ("status", "startDate", "endDate")}},
    )
    api.ok("rule/create", {**guide.rule_6_7(lead["id"]), "gameObjectType": "leadScoring"})
    event = {
        "eventType": "viewPeriod",
        "userId": "ann",
        "entryId": "e",
        "playTime": 120,
        "eventId": "u1",
        "virtualEventId": guide.VIRTUAL_EVENT_ID,
    }
    api.ok("event/send", {"events": [event]})
    page = console.get("/console/users?userId=ann")
    assert page.status_code == 200
    assert "Rule progress on Conference Engagement" in page.text and "Watch sessions" in page.text
    assert "Event Lead Scoring" in page.text
    summary = console.get(f"/console/leadScorings/{lead['id']}")
    assert "Score groups" in summary.text and "Low Score Leads" in summary.text
    assert "No score." in console.get("/console/users?userId=nobody").text


def test_a_sign_in_posted_from_another_site_is_refused(browser: ConsoleClient, partner: Partner) -> None:
    form = {"partnerId": str(partner.id), "secret": partner.secret}
    refused = browser.client.post("/console/signin", data=form, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    same = browser.client.post("/console/signin", data=form, headers={"Origin": "http://testserver"})
    assert same.status_code == 200


def test_the_report_form_offers_every_game_object(
    api: Api, console: ConsoleClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console_report, "PAGE_SIZE", 50)  # (pages of 500 in use): three pages here
    body = {**guide.leaderboard_4_2(), "status": "enabled"}
    ids = [api.ok("leaderboard/create", {**body, "name": f"Board {n}"})["id"] for n in range(101)]
    page = console.get("/console/reports").text
    assert [object_id for object_id in ids if f'value="{object_id}"' not in page] == []


def test_a_report_that_fails_midway_is_an_error_not_a_short_file(
    console: ConsoleClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    object_id = _leaderboard(console)

    def failing(conn: Any, *, live: Any, report: Any) -> Iterator[bytes]:
        yield b"rank,score\n"
        raise RuntimeError("the database went away")

    monkeypatch.setattr(report_service, "render", failing)
    response = console.get(f"/console/reports/download?gameObjectId={object_id}&reportType=userScore")
    assert response.status_code == 500 and "attachment" not in response.headers.get("content-disposition", "")


def test_import_takes_a_file_up_to_the_upload_limit(console: ConsoleClient) -> None:
    # The console's upload is a CSV upload as the API's: its limit is GAMESERVICES_MAX_UPLOAD_BYTES (docs/security.md),
    # not the JSON body limit (1 MiB in these tests), which refused a 2 MB file with a bare 413.
    rows = b"".join(b"user%d,like,1\n" % number for number in range(150_000))
    data = b"userId,eventType,score\n" + rows
    assert len(data) > 1024 * 1024
    response = console.post(
        "/console/import", files={"csvFile": ("events.csv", io.BytesIO(data), "text/csv")}
    )
    assert response.status_code == 200, response.text[:300]
    assert "150,000" in response.text or "150000" in response.text
