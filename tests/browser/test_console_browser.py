"""The console, the big screen and the widget in a real browser: what a user does, end to end, with axe-core
checking each screen and no Content-Security-Policy violation anywhere."""

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gameservices.auth.ks import mint_ks
from tests.browser.conftest import axe_violations
from tests.console.served import Served

pytestmark = pytest.mark.browser
SCREENSHOTS = os.environ.get(
    "GAMESERVICES_SCREENSHOTS"
)  # a folder: the test also saves the docs' screenshots
WAIT_MS = 20_000


def _rule(leaderboard_id: str) -> dict[str, Any]:
    return {
        "gameObjectType": "leaderboard",
        "gameObjectId": leaderboard_id,
        "name": "Watch time",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
        "type": "sum",
        "mode": "distribute_points",
        "metric": "playTime",
        "groupBy": "kuserId,entryId",
        "goal": 60,
        "points": 10,
        "maxPoints": 1000,
    }


def _watch(served: Served, user: str, seconds: int, event_id: str) -> None:
    event = {
        "eventType": "viewPeriod",
        "userId": user,
        "entryId": "keynote",
        "playTime": seconds,
        "eventId": event_id,
    }
    served.api("event/send", {"events": [event]})


def _accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)


def _shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=False)


def _sign_in(page: Any, served: Served) -> None:
    page.goto(f"{served.base}/console/signin")
    _accessible(page)
    page.fill("#partnerId", str(served.partner_id))
    page.fill("#secret", served.secret)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served.base}/console/")


def _create_leaderboard(page: Any, served: Served) -> str:
    page.goto(f"{served.base}/console/leaderboards")
    page.fill("#name", "Keynote")
    page.fill("#startDate", "2020-01-01T00:00:00Z")
    page.fill("#endDate", "2040-01-01T00:00:00Z")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/leaderboards/[0-9a-f]{24}$"))
    return str(page.url).rsplit("/", 1)[1]


def _create_rule(page: Any, served: Served, leaderboard_id: str) -> None:
    page.goto(f"{served.base}/console/rules?gameObjectId={leaderboard_id}")
    page.fill("#rule-body", "{ not json")
    page.click("form.card button[type=submit]")
    assert "not valid JSON" in page.inner_text("#rule-error")
    _accessible(page)
    page.fill("#rule-body", json.dumps(_rule(leaderboard_id), indent=2))
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/rules/[0-9a-f]{24}$"))
    _accessible(page)


def test_console_and_big_screen(served: Served, chromium: Any, tmp_path: Path) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    policy_errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            policy_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    _sign_in(page, served)
    _accessible(page)
    leaderboard_id = _create_leaderboard(page, served)
    _create_rule(page, served, leaderboard_id)

    page.goto(f"{served.base}/console/leaderboards/{leaderboard_id}")
    page.fill("#link-title", "Keynote hall")
    page.click("text=Create display link")
    page.wait_for_selector("a.display-url")
    display_url = page.get_attribute("a.display-url", "href")
    _accessible(page)

    screen = context.new_page()
    screen.on(
        "console",
        lambda message: (
            policy_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    screen.goto(display_url)
    screen.wait_for_selector("text=No score yet")
    _accessible(screen)

    # Scores arrive through the API; the big screen and the console's live top N change without a reload.
    _watch(served, "ann", 120, "b1")
    _watch(served, "ben", 300, "b2")
    screen.wait_for_selector(".standings li:nth-child(2) >> text=ann", timeout=WAIT_MS)
    assert screen.inner_text(".standings li:nth-child(1)").split()[:2] == ["1", "ben"]
    page.wait_for_selector("#live-top >> text=ben", timeout=WAIT_MS)
    _shot(screen, "big-screen.png")
    _shot(page, "console-leaderboard.png")

    page.fill("#userId", "ann")
    page.click("button:has-text('Find')")
    page.wait_for_selector("#around-user tr.me >> text=ann", timeout=WAIT_MS)
    _accessible(page)

    page.click("button:has-text('Revoke')")
    screen.wait_for_selector("text=no longer available", timeout=WAIT_MS)
    assert screen.goto(display_url).status == 404

    page.goto(f"{served.base}/console/reports")
    _accessible(page)
    page.select_option("#reportType", "userScore")
    with page.expect_download() as download_info:
        page.click("text=Generate and download")
    saved = tmp_path / "report.csv"
    download_info.value.save_as(saved)
    assert "ben" in saved.read_text()

    page.goto(f"{served.base}/console/import")
    page.set_input_files(
        "#csvFile",
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": b"userId,eventType,score\n,like,x\n"}],
    )
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#row-report")
    assert "INVALID_CSV" in page.inner_text("#import-error")
    _accessible(page)
    _shot(page, "console-import.png")

    page.goto(f"{served.base}/console/users?userId=ben")
    _accessible(page)
    page.goto(f"{served.base}/console/")
    _accessible(page)
    _shot(page, "console-dashboard.png")
    assert policy_errors == []
    context.close()


@contextmanager
def _host_pages(body: str) -> Iterator[list[str]]:
    """Two sites on 127.0.0.1 (two ports: two origins) serving the same host page."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *_args: Any) -> None:
            pass

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield [f"http://127.0.0.1:{server.server_address[1]}" for server in servers]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def test_rank_widget_in_an_allowed_host_page_only(served: Served, chromium: Any) -> None:
    board = served.api(
        "leaderboard/create",
        {
            "name": "Widget",
            "status": "enabled",
            "startDate": "2020-01-01T00:00:00Z",
            "endDate": "2040-01-01T00:00:00Z",
            "virtualEventIds": [],
        },
    )["id"]
    served.api("rule/create", _rule(board))
    for index, user in enumerate(("ann", "ben", "cal")):
        _watch(served, user, 60 * (index + 1), f"w{index}")
    ks = mint_ks(partner_id=served.partner_id, secret=served.secret, user_id="ben", type=0, now=time.time())
    widget = f"{served.base}/widget/rank?partnerId={served.partner_id}&gameObjectId={board}#ks={ks}"
    host_page = f'<!doctype html><html lang="en"><title>Host</title><iframe title="My rank" src="{widget}"></iframe></html>'
    context = chromium.new_context()
    page = context.new_page()
    policy_errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            policy_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{served.base}/api/v1/docs")  # Swagger UI from the package, under the strict script policy
    page.wait_for_selector("#operations-tag-displayLink", timeout=WAIT_MS)
    assert policy_errors == []
    with _host_pages(host_page) as (allowed, other):
        _sign_in(page, served)
        page.goto(f"{served.base}/console/widget")
        page.fill("#origins", allowed)
        page.click("form.card button[type=submit]")
        _accessible(page)
        page.goto(f"{allowed}/")
        frame = page.frame_locator("iframe")
        assert frame.locator("#my-rank").inner_text(timeout=WAIT_MS) == "2"
        assert "ben" not in frame.locator("main").inner_text()
        page.goto(f"{other}/")
        page.wait_for_timeout(1500)
        # Refused by frame-ancestors: chromium shows its error page in the frame instead of the widget.
        (framed,) = [frame for frame in page.frames if frame != page.main_frame]
        assert framed.url.startswith("chrome-error:")
    context.close()


def test_a_big_screen_whose_stream_was_down_when_its_link_was_revoked_says_so(
    served: Served, chromium: Any
) -> None:
    board = served.api(
        "leaderboard/create",
        {
            "name": "Hall",
            "status": "enabled",
            "startDate": "2020-01-01T00:00:00Z",
            "endDate": "2040-01-01T00:00:00Z",
            "virtualEventIds": [],
        },
    )
    link = served.api("displayLink/create", {"gameObjectId": board["id"]})
    context = chromium.new_context()
    screen = context.new_page()
    policy_errors: list[str] = []
    screen.on(
        "console",
        lambda message: (
            policy_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    # htmx pauses a stream on a hidden page by cancelling its reader, which exists once the stream is connected:
    # hidden sooner, the stream would stay open and receive the revocation itself.
    screen.add_init_script(
        "document.addEventListener('htmx:sse:after:connection', () => { window.streamConnected = true; });"
    )
    screen.goto(link["url"])
    screen.wait_for_selector("text=No score yet")
    screen.wait_for_function("() => window.streamConnected === true", timeout=WAIT_MS)
    # The screen is hidden: htmx closes its stream until it is shown again (a dropped connection does the same).
    screen.evaluate(
        "() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )
    served.api("displayLink/delete", {"id": link["id"]})
    screen.evaluate(
        "() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )
    # Reconnecting, the stream answers 404: the screen says the link is gone, and stops trying.
    screen.wait_for_selector("text=no longer available", timeout=WAIT_MS)
    assert screen.query_selector("[hx-sse\\:connect]") is None
    assert policy_errors == []
    context.close()
