"""The dashboard's activity figures and the events tail: read from the event log (bounded to its newest
entries), shown on the dashboard and the events screen, kept current by the hub's views."""

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.console import display
from gameservices.console.display_hub import DisplayHub
from gameservices.console.live_views import ActivityView, EventsTailView
from gameservices.projection.checkpoint import checkpoint_partner
from gameservices.projection.entries import EVENTS, RULE_CHANGE
from gameservices.projection.live import LiveState
from gameservices.services.standings import activity
from gameservices.storage import event_log
from gameservices.storage.database import read_transaction, write_transaction
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner
from tests.console.conftest import ConsoleClient

OPEN = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2040-01-01T00:00:00Z"}


def _board(api: Api) -> str:
    body = {**guide.leaderboard_4_2(), "name": "Activity", "status": "enabled", **OPEN}
    object_id: str = api.ok("leaderboard/create", body)["id"]
    api.ok("rule/create", {**guide.rule_6_7(object_id), "maxPoints": "1000"})
    return object_id


def _send(api: Api, *users: str, prefix: str = "a") -> None:
    events = [
        {
            "eventType": "viewPeriod",
            "userId": user,
            "entryId": "e1",
            "playTime": 120,
            "eventId": f"{prefix}-{user}",
            "virtualEventId": guide.VIRTUAL_EVENT_ID,
        }
        for user in users
    ]
    api.ok("event/send", {"events": events})


def _append(
    engine: Engine, partner_id: int, kind: str, body: Any, at_ms: int, changes: list[Any] | None = None
) -> None:
    encoded = event_log.encode_body(changes) if changes else None
    checkpoint_partner(engine, partner_id)  # the tables reflect the events sent before: the entry may follow
    with write_transaction(engine) as conn:
        event_log.append(conn, partner_id, kind, event_log.encode_body(body), now_ms=at_ms, changes=encoded)


def _badge(user: str) -> dict[str, Any]:
    return {"type": "badge.achieved", "data": {"gameObjectId": "b", "userId": user, "achievedAt": 1}}


def test_the_events_screen_lists_the_newest_events_first_for_its_partner_only(
    api: Api, console: ConsoleClient, browser: ConsoleClient, new_partner: Any
) -> None:
    _board(api)
    _send(api, "ann", "ben")
    _send(api, "cal", prefix="b")
    page = console.get("/console/events")
    assert page.status_code == 200 and 'hx-sse:connect="/console/events/stream"' in page.text
    rows = page.text.split("<tbody>")[1]
    assert rows.index("b-cal") < rows.index("a-ben") < rows.index("a-ann")
    assert "playTime=120" in rows
    browser.sign_in(new_partner("stranger"))
    assert "a-ann" not in browser.get("/console/events").text


def test_the_dashboard_shows_events_per_second_and_users_scored(api: Api, console: ConsoleClient) -> None:
    _board(api)
    _board(api)  # two leaderboards: the same users count once
    _send(api, "ann", "ben", "cal")
    page = console.get("/console/")
    assert page.status_code == 200
    assert '<span class="figure" id="users-scored">3</span>' in page.text
    assert '<span class="figure" id="events-per-second">0.05</span>' in page.text  # 3 events in 60 s
    assert 'hx-sse:connect="/console/activity/stream"' in page.text
    changes = page.text.split('id="recent-changes"')[1]
    assert changes.count("score.changed") == 6 and "Activity" in changes  # the leaderboards' name
    newest = changes.split("<tbody>")[1].split("</tr>")[0]
    assert "<td>cal</td><td>Activity</td><td>score none → 20, rank none → 3</td>" in newest


def test_recent_changes_are_the_newest_of_the_feed_newest_first(
    engine: Engine, partner: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _append(engine, partner.id, EVENTS, [], 1_000, [_badge("old-1"), _badge("old-2")])
    for index in range(40):  # entries without changes between them: the reader looks further back
        _append(engine, partner.id, RULE_CHANGE, {"n": index}, 1_000)
    _append(engine, partner.id, EVENTS, [], 2_000, [_badge("new-1"), _badge("new-2"), _badge("new-3")])
    with read_transaction(engine) as conn:
        users = [change.data["userId"] for change in activity.recent_changes(conn, partner.id, limit=4)]
        assert users == ["new-3", "new-2", "new-1", "old-2"]
        monkeypatch.setattr(activity, "RECENT_WINDOWS", (16,))  # only the newest 16 entries
        users = [change.data["userId"] for change in activity.recent_changes(conn, partner.id, limit=4)]
        assert users == ["new-3", "new-2", "new-1"]
        monkeypatch.setattr(activity, "_CHANGES_PAGE", 2)  # read in several pages, across a partly read entry
        users = [change.data["userId"] for change in activity.recent_changes(conn, partner.id, limit=2)]
        assert users == ["new-3", "new-2"]


def test_the_event_rate_counts_the_last_minute_within_the_newest_entries(
    engine: Engine, partner: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = 10_000_000
    event = ["x", {"eventType": "like", "userId": "u", "eventTime": 1.0}]
    _append(engine, partner.id, EVENTS, [event] * 5, now - 61_000)  # older than a minute: not counted
    _append(engine, partner.id, EVENTS, [event] * 3, now - 30_000)
    _append(engine, partner.id, RULE_CHANGE, {"not": "events"}, now - 20_000)
    _append(engine, partner.id, EVENTS, [event] * 9, now - 10_000)
    with read_transaction(engine) as conn:
        rate = activity.event_rate(conn, partner.id, now_ms=now)
        assert (rate.events, rate.seconds) == (12, 60.0) and rate.per_second == pytest.approx(0.2)
        # Only the newest entries are looked at: when all of them fall in the minute, the rate is over their span.
        monkeypatch.setattr(activity, "MAX_RATE_ENTRIES", 2)
        rate = activity.event_rate(conn, partner.id, now_ms=now)
        assert (rate.events, rate.seconds) == (9, 20.0)


def test_the_tail_reads_only_the_newest_entries(
    engine: Engine, partner: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(4):
        fields = {"eventType": "like", "userId": f"u{index}", "eventTime": 1.0}
        _append(engine, partner.id, EVENTS, [[f"e{index}", fields]], 1_000 + index)
    _append(engine, partner.id, RULE_CHANGE, {"not": "events"}, 2_000)
    with read_transaction(engine) as conn:
        assert [event.user_id for event in activity.recent_events(conn, partner.id, limit=3)] == [
            "u3",
            "u2",
            "u1",
        ]
        monkeypatch.setattr(activity, "MAX_TAIL_SCAN", 3)  # the rule change and the two newest event entries
        assert [event.event_id for event in activity.recent_events(conn, partner.id)] == ["e3", "e2"]


def test_the_hub_keeps_the_tail_and_the_activity_panel_current(
    api: Api, engine: Engine, partner: Partner
) -> None:
    _board(api)
    hub = DisplayHub(engine, LiveState(), interval=3600)

    async def scenario() -> list[Any]:
        tail, panel = hub.subscribe(EventsTailView(partner.id)), hub.subscribe(ActivityView(partner.id))
        firsts = [asyncio.ensure_future(anext(tail)), asyncio.ensure_future(anext(panel))]
        await asyncio.sleep(0.1)  # both subscribed (the hub's own first round may have run before the second)
        await hub.tick()
        seen = [await asyncio.wait_for(first, 5) for first in firsts]
        await hub.tick()  # the settling render
        renders = hub.renders
        await hub.tick()
        assert hub.renders == renders  # nothing changed (and the panel's refresh is not due yet)
        await asyncio.to_thread(_send, api, "dee")
        await hub.tick()
        seen += [await asyncio.wait_for(anext(tail), 5), await asyncio.wait_for(anext(panel), 5)]
        await tail.aclose()
        await panel.aclose()
        return seen

    before_tail, before_panel, after_tail, after_panel = asyncio.run(scenario())
    assert "No event received yet" in before_tail and "a-dee" in after_tail
    assert 'id="users-scored">0<' in before_panel and 'id="users-scored">1<' in after_panel
    assert "No change yet" in before_panel and "score.changed" in after_panel and "dee" in after_panel


def test_a_console_stream_ends_once_its_session_does(
    app_client: Any, partner: Partner, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(display, "SESSION_CHECK_SECONDS", 0.0)
    _board(api)
    watcher = ConsoleClient(TestClient(app_client.app, raise_server_exceptions=False))
    watcher.sign_in(partner)
    other = ConsoleClient(TestClient(app_client.app, raise_server_exceptions=False))
    other.sign_in(partner)
    seen: list[str] = []
    with watcher.client.stream("GET", "/console/events/stream") as stream:
        lines = stream.iter_lines()
        while "No event received yet" not in (line := next(lines)):
            seen.append(line)
        _send(api, "eve")
        while "a-eve" not in (line := next(lines)):
            seen.append(line)
        # Signed out: the next change is not sent, the stream ends.
        assert watcher.post("/console/signout", follow_redirects=False).status_code == 303
        _send(api, "fay", prefix="late")
        leaked = any("late-fay" in line for line in lines)  # stops at the end of the stream, or at the leak
    assert not leaked
    assert "a-eve" in other.get("/console/events").text  # another session of the partner is unaffected


@dataclass(frozen=True)
class _Broken:
    partner_id: int
    refresh_seconds: float | None = None

    def alive(self, conn: Any, now_ms: int) -> bool:
        return True

    def render(self, conn: Any, live: LiveState, now_ms: int) -> str | None:
        raise RuntimeError("a broken view")

    def changes_at(self, conn: Any, now_ms: int) -> int | None:
        return None


def test_a_failing_view_leaves_the_others_current(api: Api, engine: Engine, partner: Partner) -> None:
    hub = DisplayHub(engine, LiveState(), interval=3600)

    async def scenario() -> str:
        broken, tail = hub.subscribe(_Broken(partner.id)), hub.subscribe(EventsTailView(partner.id))
        pending = asyncio.ensure_future(anext(broken))
        first = asyncio.ensure_future(anext(tail))
        await asyncio.sleep(0.1)
        await hub.tick()
        shown = await asyncio.wait_for(first, 5)
        assert not pending.done()  # the broken view never sent anything
        pending.cancel()
        await tail.aclose()
        return shown

    assert "No event received yet" in asyncio.run(scenario())


def test_an_unchanged_view_is_sent_again_after_a_while(engine: Engine, partner: Partner) -> None:
    hub = DisplayHub(engine, LiveState(), interval=3600)

    async def scenario() -> list[str | None]:
        tail = hub.subscribe(EventsTailView(partner.id))
        first = asyncio.ensure_future(anext(tail))
        await asyncio.sleep(0.1)
        await hub.tick()
        seen = [await asyncio.wait_for(first, 5)]
        await hub.tick()  # the settling render: unchanged, not sent
        next_one = asyncio.ensure_future(anext(tail))
        await hub.tick()
        await asyncio.sleep(0.1)
        assert not next_one.done()
        hub.resend_seconds = 0.0  # a browser that missed an update gets the same view again
        await hub.tick()
        seen.append(await asyncio.wait_for(next_one, 5))
        await tail.aclose()
        return seen

    first, again = asyncio.run(scenario())
    assert first is not None and first == again
