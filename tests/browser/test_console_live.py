"""The console's live screens in a real browser: the dashboard's activity panel (events/s, users scored, recent
changes of the change feed) and the events tail follow events sent through the API without a reload, the
certificate preview is a real PDF, axe-core finds nothing on each screen, a live view whose session ended (or may
no longer read) says so and stops reconnecting; and with two server processes on one
PostgreSQL database, the screens served by one process follow events written through the other."""

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from gameservices.cli import app as cli_app
from gameservices.services.certificates.certificate_document import SAMPLE_NAME
from tests.api.test_certificate_pdf import image_server
from tests.browser.test_console_browser import WAIT_MS, _accessible, _rule, _shot, _sign_in, _watch
from tests.conftest import POSTGRES_URL, postgres_database
from tests.console.served import Served, demo_of, serve

pytestmark = pytest.mark.browser
__all__ = ["image_server"]
OPEN = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2040-01-01T00:00:00Z"}


def _board(served: Served) -> str:
    body = {"name": "Keynote", "status": "enabled", "virtualEventIds": [], **OPEN}
    board: str = served.api("leaderboard/create", body)["id"]
    served.api("rule/create", _rule(board))
    return board


# Injected through the debugging protocol (the pages' own script policy stays strict): what the SSE connections and
# the page's visibility did, for a failure's message.
_TRACE = """
window.__trace = [];
const note = (what) => window.__trace.push(Math.round(performance.now()) + ' ' + what);
document.addEventListener('visibilitychange', () => note('visibility ' + document.visibilityState));
for (const name of ['htmx:sse:after:connection', 'htmx:sse:close', 'htmx:sse:error', 'htmx:sse:after:message']) {
  document.addEventListener(name, (event) => note(name + ' ' + (event.detail.reason || event.detail.status || '')));
}
"""


def _trace(page: Any) -> str:
    found: list[str] = page.evaluate("window.__trace || []")
    return " | ".join(found[-30:])


def _policy_watch(page: Any, errors: list[str]) -> Any:
    page.add_init_script(_TRACE)
    page.on(
        "console",
        lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return page


def _open_live_screens(context: Any, served: Served, errors: list[str]) -> tuple[Any, Any]:
    """The dashboard and the events screen of a signed-in console, both before any event."""
    dashboard = _policy_watch(context.new_page(), errors)
    _sign_in(dashboard, served)
    dashboard.wait_for_selector("#recent-changes >> text=No change yet")
    _accessible(dashboard)
    events = _policy_watch(context.new_page(), errors)
    events.goto(f"{served.base}/console/events")
    events.wait_for_selector("#events-tail >> text=No event received yet")
    _accessible(events)
    return dashboard, events


def _wait(page: Any, selector: str, timeout: int = WAIT_MS) -> None:
    page.bring_to_front()  # the page a user looks at (htmx pauses the streams of hidden pages)
    try:
        page.wait_for_selector(selector, timeout=timeout)
    except Exception as error:
        raise AssertionError(f"{selector} not shown; the page's SSE: {_trace(page)}") from error


def _first_row(page: Any, table: str) -> str:
    text: str = page.inner_text(f"{table} tbody tr:first-child")
    return text


def test_the_dashboard_and_the_events_tail_follow_events_live(served: Served, chromium: Any) -> None:
    _board(served)
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    dashboard, events = _open_live_screens(context, served, errors)

    _watch(served, "ann", 120, "live-1")
    _wait(dashboard, "#recent-changes >> text=ann")
    _wait(events, "#events-tail >> text=live-1")
    assert dashboard.inner_text("#users-scored") == "1"
    assert int(dashboard.inner_text("#events-counted")) == 1
    _watch(served, "ben", 300, "live-2")
    _wait(events, "#events-tail >> text=live-2")
    assert "live-2" in _first_row(events, "#events-tail")  # newest first
    _wait(dashboard, "#users-scored >> text=2")
    assert "ben" in _first_row(dashboard, "#recent-changes")
    assert "score none → 50, rank none → 1" in _first_row(dashboard, "#recent-changes")
    _accessible(dashboard)
    _accessible(events)
    dashboard.reload()  # the leaderboards' table below the live panel is drawn when the page loads
    dashboard.wait_for_selector("#recent-changes >> text=ben")
    _shot(dashboard, "console-dashboard.png")
    _shot(events, "console-events.png")
    assert errors == []
    context.close()


def test_live_screens_connect_however_late_the_stream_script_arrives(served: Served, chromium: Any) -> None:
    """htmx starts the page once the document is parsed; the SSE extension must be registered by then, or the
    page never opens its stream (it raced before: a slow stream script left a screen without updates)."""
    board = _board(served)
    link = served.api("displayLink/create", {"gameObjectId": board, "title": "Hall B"})
    context = chromium.new_context()
    errors: list[str] = []
    _sign_in(_policy_watch(context.new_page(), errors), served)

    def late(route: Any) -> None:
        time.sleep(0.5)  # the script arrives after htmx could have started
        route.continue_()

    for address in (str(link["url"]), f"{served.base}/console/", f"{served.base}/console/events"):
        page = _policy_watch(context.new_page(), errors)
        page.route("**/hx-sse.min.js", late)
        with page.expect_request(lambda request: request.url.endswith("/stream"), timeout=10_000):
            page.goto(address)
        page.close()
    assert errors == []
    context.close()


@pytest.fixture
def served_with_backgrounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """A server process allowed to fetch certificate backgrounds from this machine's test server."""
    monkeypatch.setenv("GAMESERVICES_ALLOW_PRIVATE_BACKGROUNDS", "true")
    with serve(f"sqlite:///{tmp_path / 'gameservices.db'}", tmp_path) as running:
        yield running


def _certificate(served: Served, background: str) -> str:
    body = {
        "name": "Keynote certificate",
        "status": "enabled",
        "certificateEligibility": "once",
        "certifiedCreditsThreshold": 1,
        "outputFileConfiguration": {
            "outputFileElements": [
                {"url": background},
                {"textElementType": "userFullName", "fontSize": 30, "y": 300},
                {"textElementType": "entryName", "fontSize": 24, "y": 400},
                {"textElementType": "credits", "fontSize": 20, "x": 700, "y": 500},
            ]
        },
    }
    certificate: str = served.api("certificate/create", body)["id"]
    return certificate


def _preview_text(page: Any, user_id: str) -> str:
    page.fill("#preview-user", user_id)
    with page.expect_response(lambda response: "/preview.pdf" in response.url) as answered:
        page.click("#certificate-preview button[type=submit]")
    response = answered.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    page.wait_for_url("**/preview.pdf?userId=*")  # the browser shows it in its PDF viewer
    # The viewer keeps the bytes to itself: the same URL again, with the browser's session cookie.
    again = page.context.request.get(response.url)
    assert again.status == 200
    body: bytes = again.body()
    assert body.startswith(b"%PDF")
    [pdf_page] = PdfReader(io.BytesIO(body)).pages
    text: str = pdf_page.extract_text()
    return text


def test_the_certificate_preview_renders_a_pdf(
    served_with_backgrounds: Served, chromium: Any, image_server: str
) -> None:
    served = served_with_backgrounds
    certificate = _certificate(served, f"{image_server}/bg.png")
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    _policy_watch(page, errors)
    _sign_in(page, served)
    screen = f"{served.base}/console/certificates/{certificate}"
    page.goto(screen)
    _accessible(page)
    assert SAMPLE_NAME in _preview_text(page, "")
    page.goto(screen)
    assert "grace.hopper" in _preview_text(page, "grace.hopper")
    assert errors == []
    context.close()


def test_screens_of_one_process_follow_events_written_through_another(chromium: Any, tmp_path: Path) -> None:
    """Each live screen in turn, alone in the browser (hidden pages pause their streams), served by one process
    while an event of a new user is written through the other."""
    if not POSTGRES_URL:
        pytest.skip("GAMESERVICES_TEST_POSTGRES_URL is not set")
    url = postgres_database("browser")
    with serve(url, tmp_path / "a") as shown, serve(url, tmp_path / "b", demo_of(shown)) as writer:
        board = _board(shown)
        link = shown.api("displayLink/create", {"gameObjectId": board, "title": "Hall B"})
        context = chromium.new_context()
        errors: list[str] = []
        signing_in = _policy_watch(context.new_page(), errors)
        _sign_in(signing_in, shown)
        signing_in.close()
        screens = (
            (str(link["url"]), "#standings", ".standings >> text={user}"),
            (f"{shown.base}/console/leaderboards/{board}", "#live-top", "#live-top >> text={user}"),
            (f"{shown.base}/console/", "#recent-changes", "#recent-changes >> text={user}"),
            (f"{shown.base}/console/events", "#events-tail", "#events-tail >> text={user}-event"),
        )
        for number, (address, ready, shown_selector) in enumerate(screens):
            page = _policy_watch(context.new_page(), errors)
            page.goto(address)
            page.wait_for_selector(ready)
            _accessible(page)
            user = f"zed{number}"
            _watch(writer, user, 120, f"{user}-event")  # written by the other process
            _wait(page, shown_selector.format(user=user), timeout=3 * WAIT_MS)
            page.close()
        assert errors == []
        context.close()


_CONNECTED = (
    "document.addEventListener('htmx:sse:after:connection', () => { window.streamConnected = true; });"
)


def _set_hidden(page: Any, hidden: bool) -> None:
    """What the browser does when the page is hidden or shown again: htmx closes a connected stream while the
    page is hidden and reconnects it once the page is shown."""
    page.evaluate(
        "(hidden) => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => hidden});"
        " document.dispatchEvent(new Event('visibilitychange')); }",
        hidden,
    )


def test_live_views_whose_session_ended_say_so_and_stop_retrying(served: Served, chromium: Any) -> None:
    board = _board(served)
    context = chromium.new_context()
    errors: list[str] = []
    signing_in = _policy_watch(context.new_page(), errors)
    _sign_in(signing_in, served)
    views = {
        "#activity": f"{served.base}/console/",
        "#events-live": f"{served.base}/console/events",
        "#live-top": f"{served.base}/console/leaderboards/{board}",
    }
    pages = {}
    for selector, address in views.items():
        page = _policy_watch(context.new_page(), errors)
        # htmx closes a stream of a hidden page once it is connected (its reader exists from then on).
        page.add_init_script(_CONNECTED)
        page.goto(address)
        page.wait_for_function("() => window.streamConnected === true", timeout=WAIT_MS)
        _set_hidden(page, True)
        pages[selector] = page
    signing_in.bring_to_front()
    signing_in.click("form.signout button[type=submit]")
    signing_in.wait_for_url(f"{served.base}/console/signin")
    stream_requests: dict[str, list[int]] = {}
    for selector, page in pages.items():
        answers = stream_requests.setdefault(selector, [])
        page.on(
            "response",
            lambda response, a=answers: a.append(response.status) if "/stream" in response.url else None,
        )
        _set_hidden(page, False)
        # Reconnecting, the stream is refused: the view says the session ended, and htmx stops trying.
        _wait(page, f"{selector} >> text=Your session has ended")
        assert page.query_selector("[hx-sse\\:connect]") is None, _trace(page)
        assert page.get_attribute(f"{selector} a", "href") == "/console/signin"
        _accessible(page)
    time.sleep(2)  # htmx would have retried within 0.5 s, then 1 s
    assert {selector: set(answers) for selector, answers in stream_requests.items()} == {
        selector: {401} for selector in views
    }
    assert all(len(answers) == 1 for answers in stream_requests.values()), stream_requests
    assert errors == []
    context.close()


def test_a_live_view_whose_session_may_no_longer_read_says_so_and_stops_retrying(
    tmp_path: Path, served: Served, chromium: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = chromium.new_context()
    errors: list[str] = []
    page = _policy_watch(context.new_page(), errors)
    page.add_init_script(_CONNECTED)
    _sign_in(page, served)
    page.wait_for_function("() => window.streamConnected === true", timeout=WAIT_MS)
    _set_hidden(page, True)
    monkeypatch.setenv("GAMESERVICES_DATABASE_URL", f"sqlite:///{tmp_path / 'gameservices.db'}")
    switched = CliRunner().invoke(
        cli_app, ["partner", "set-game-services", "--partner-id", str(served.partner_id), "--disabled"]
    )
    assert switched.exit_code == 0, switched.output
    answers: list[int] = []
    page.on(
        "response", lambda response: answers.append(response.status) if "/stream" in response.url else None
    )
    _set_hidden(page, False)
    _wait(page, "#activity >> text=Your session may no longer read this view")
    assert page.query_selector("[hx-sse\\:connect]") is None, _trace(page)
    time.sleep(2)  # htmx would have retried within 0.5 s, then 1 s
    assert answers == [403]
    assert errors == []
    context.close()
