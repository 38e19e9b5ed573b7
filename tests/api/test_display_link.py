"""The ``displayLink`` controller and the public big screen it shares."""

import asyncio
import time
from typing import Any

import pytest
from sqlalchemy import Engine

from gameservices.console.display_hub import DisplayHub
from gameservices.errors import RateLimited
from gameservices.projection.live import LiveState
from gameservices.services.access import partner as partner_service
from gameservices.services.standings import user_score
from gameservices.services.standings.display_link import Screen, initials
from gameservices.storage.database import write_transaction
from tests.api import guide_bodies as guide
from tests.api.test_period_close import DAY, daily_board
from tests.api.test_periods import act
from tests.conftest import Api, Partner


@pytest.fixture
def board(api: Api) -> str:
    body = {**guide.leaderboard_4_2(), "name": "Keynote", "status": "enabled", **OPEN}
    object_id: str = api.ok("leaderboard/create", body)["id"]
    api.ok("rule/create", {**guide.rule_6_7(object_id), "maxPoints": "1000"})
    return object_id


OPEN = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2040-01-01T00:00:00Z"}


def _watch(api: Api, user: str, seconds: int, event_id: str) -> None:
    event = {
        "eventType": "viewPeriod",
        "userId": user,
        "entryId": "e1",
        "playTime": seconds,
        "eventId": event_id,
        "virtualEventId": guide.VIRTUAL_EVENT_ID,
    }
    api.ok("event/send", {"events": [event]})


def _share_id(link: dict[str, Any]) -> str:
    return str(link["url"]).rsplit("/", 1)[1]


def test_create_get_list_delete(api: Api, board: str) -> None:
    link = api.ok("displayLink/create", {"gameObjectId": board, "title": "Hall A", "anonymize": True})
    assert set(link) >= {"id", "gameObjectId", "url", "top", "title", "anonymize", "expiresAt", "createdAt"}
    assert link["top"] == 10 and link["url"].startswith("http://testserver/display/")
    assert len(_share_id(link)) >= 32
    assert api.ok("displayLink/get", {"id": link["id"]}) == link
    listed = api.ok("displayLink/list", {"gameObjectIdEqual": board})
    assert listed["totalCount"] == 1 and listed["objects"] == [link]
    assert api.ok("displayLink/delete", {"id": link["id"]}) == {"id": link["id"], "deleted": True}
    status, answer = api.call("displayLink/get", {"id": link["id"]})
    assert status == 404 and answer["code"] == "OBJECT_NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"top": 0}, 400),
        ({"top": 101}, 400),
        ({"subLeaderboardId": "nope"}, 400),
        ({"expiresAt": "2001-01-01T00:00:00Z"}, 400),
        ({"title": ""}, 400),
        ({"gameObjectId": "000000000000000000000000"}, 404),
        ({"unknown": 1}, 400),
    ],
)
def test_create_refuses_bad_input(api: Api, board: str, body: dict[str, Any], status: int) -> None:
    code, answer = api.call("displayLink/create", {"gameObjectId": board, **body})
    assert code == status and answer["objectType"] == "KalturaAPIException"


def test_a_badge_has_no_big_screen(api: Api) -> None:
    badge = api.ok("badge/create", guide.badge_7_1())["id"]
    assert api.call("displayLink/create", {"gameObjectId": badge})[0] == 400


def test_another_partners_leaderboard_and_links_are_unknown(
    api: Api, board: str, new_partner: Any, app_client: Any
) -> None:
    link = api.ok("displayLink/create", {"gameObjectId": board})
    other = Api(app_client, new_partner("other").ks)
    assert other.call("displayLink/create", {"gameObjectId": board})[0] == 404
    assert other.call("displayLink/get", {"id": link["id"]})[0] == 404
    assert other.call("displayLink/delete", {"id": link["id"]})[0] == 404
    assert other.ok("displayLink/list", {})["totalCount"] == 0
    assert api.ok("displayLink/get", {"id": link["id"]})["id"] == link["id"]


def test_the_big_screen_shows_the_top_n_without_javascript(api: Api, board: str, app_client: Any) -> None:
    for index, user in enumerate(("ann.lee", "ben.ode", "cal")):
        _watch(api, user, 60 * (index + 1), f"w{index}")
    link = api.ok("displayLink/create", {"gameObjectId": board, "top": 2, "title": "Hall A"})
    page = app_client.get(f"/display/{_share_id(link)}")
    assert page.status_code == 200 and "Hall A" in page.text
    assert "cal" in page.text and "ben.ode" in page.text and "ann.lee" not in page.text
    assert page.text.index("cal") < page.text.index("ben.ode")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    anonymous = api.ok("displayLink/create", {"gameObjectId": board, "anonymize": True})
    page = app_client.get(f"/display/{_share_id(anonymous)}")
    assert "ben.ode" not in page.text and "B. O." in page.text


def test_revoked_expired_and_unknown_links_answer_404(api: Api, board: str, app_client: Any) -> None:
    link = api.ok("displayLink/create", {"gameObjectId": board})
    assert app_client.get(f"/display/{_share_id(link)}").status_code == 200
    api.ok("displayLink/delete", {"id": link["id"]})
    for path in (f"/display/{_share_id(link)}", "/display/unknown-share-id-0000000", "/display/%00"):
        assert app_client.get(path).status_code == 404
    assert app_client.get(f"/display/{_share_id(link)}/stream").status_code == 404
    soon = api.ok("displayLink/create", {"gameObjectId": board, "expiresAt": int(time.time()) + 1})
    time.sleep(1.1)
    assert app_client.get(f"/display/{_share_id(soon)}").status_code == 404


def test_a_deleted_leaderboard_takes_its_screen_down(api: Api, board: str, app_client: Any) -> None:
    link = api.ok("displayLink/create", {"gameObjectId": board})
    api.ok("leaderboard/delete", {"id": board})
    assert app_client.get(f"/display/{_share_id(link)}").status_code == 404


def test_sub_leaderboard_screen_ranks_teams(api: Api, app_client: Any) -> None:
    body = {
        **guide.leaderboard_4_2(),
        "subLeaderboards": [{"id": 1, "name": "Teams", "filterPaths": ["team"]}],
    }
    object_id = api.ok("leaderboard/create", body)["id"]
    link = api.ok("displayLink/create", {"gameObjectId": object_id, "subLeaderboardId": 1})
    assert link["subLeaderboardId"] == "1"
    assert app_client.get(f"/display/{_share_id(link)}").status_code == 200


def test_initials() -> None:
    assert initials("ann.lee@example.org") == "A. L. E. O."
    assert initials("Zoë") == "Z."
    assert initials("---") == "?"


def test_the_hub_renders_a_screen_once_for_all_its_watchers_and_only_on_change(
    api: Api, board: str, engine: Engine, partner: Partner
) -> None:
    # The hub's own task makes the first round, then sleeps: the test makes the next rounds itself.
    hub = DisplayHub(engine, LiveState(), interval=3600)
    screen = Screen(partner_id=partner.id, game_object_id=board, top=5)

    async def scenario() -> list[Any]:
        first, second = hub.subscribe(screen), hub.subscribe(screen)
        seen = [await anext(first), await anext(second)]
        await hub.tick()  # the settling render
        renders = hub.renders
        await hub.tick()
        await hub.tick()
        assert hub.renders == renders  # nothing changed: nothing rendered
        await asyncio.to_thread(_watch, api, "dee", 120, "hub-1")
        await hub.tick()
        seen.append(await asyncio.wait_for(anext(first), 5))
        seen.append(await asyncio.wait_for(anext(second), 5))
        await hub.tick()
        await hub.tick()
        assert hub.renders == renders + 2  # once for the change, once to settle: for both watchers
        await first.aclose()
        await second.aclose()
        return seen

    seen = asyncio.run(scenario())
    assert seen[0] == seen[1] and "No score yet" in seen[0]
    assert seen[2] == seen[3] and "dee" in seen[2]


def test_the_hub_ends_a_revoked_screen(api: Api, board: str, engine: Engine, partner: Partner) -> None:
    link = api.ok("displayLink/create", {"gameObjectId": board})
    screen = Screen(partner_id=partner.id, game_object_id=board, top=10, share_id=_share_id(link))
    hub = DisplayHub(engine, LiveState(), interval=3600)

    async def scenario() -> list[Any]:
        watcher = hub.subscribe(screen)
        seen = [await anext(watcher)]
        await asyncio.to_thread(api.ok, "displayLink/delete", {"id": link["id"]})
        await hub.tick()
        seen.append(await asyncio.wait_for(anext(watcher), 5))
        return seen

    first, last = asyncio.run(scenario())
    assert first is not None and last is None


def test_the_hub_refuses_streams_beyond_its_limit(engine: Engine, partner: Partner, board: str) -> None:
    hub = DisplayHub(engine, LiveState(), interval=3600, max_subscribers=1)
    screen = Screen(partner_id=partner.id, game_object_id=board, top=3)

    async def scenario() -> None:
        watcher = hub.subscribe(screen)
        await anext(watcher)
        with pytest.raises(RateLimited):
            hub.admit()
        await watcher.aclose()
        hub.admit()  # the ended stream made room

    asyncio.run(scenario())


def test_a_stream_over_the_limit_answers_429(app_client: Any, api: Api, board: str) -> None:
    link = api.ok("displayLink/create", {"gameObjectId": board})
    hub = app_client.app.state.display_hub
    saved, hub._max_subscribers = hub._max_subscribers, 0
    try:
        response = app_client.get(f"/display/{_share_id(link)}/stream")
    finally:
        hub._max_subscribers = saved
    assert response.status_code == 429 and response.json()["code"] == "TOO_MANY_STREAMS"


def test_a_screen_whose_sub_leaderboard_was_removed_is_gone(
    api: Api, app_client: Any, engine: Engine, partner: Partner
) -> None:
    body = {
        **guide.leaderboard_4_2(),
        **OPEN,
        "subLeaderboards": [{"id": 1, "name": "Teams", "filterPaths": ["team"]}],
    }
    object_id = api.ok("leaderboard/create", body)["id"]
    link = api.ok("displayLink/create", {"gameObjectId": object_id, "subLeaderboardId": 1})
    screen = Screen(partner_id=partner.id, game_object_id=object_id, top=10, sub_leaderboard_id="1")
    hub = DisplayHub(engine, LiveState(), interval=3600)

    async def scenario() -> list[Any]:
        watcher = hub.subscribe(screen)
        seen = [await anext(watcher)]
        await asyncio.to_thread(api.ok, "leaderboard/update", {"id": object_id, "subLeaderboards": []})
        await hub.tick()
        seen.append(await asyncio.wait_for(anext(watcher), 5))
        return seen

    first, last = asyncio.run(scenario())
    assert first is not None and last is None
    for path in (f"/display/{_share_id(link)}", f"/display/{_share_id(link)}/stream"):
        assert app_client.get(path).status_code == 404


def test_a_screen_of_a_recurring_leaderboard_turns_to_the_next_period_when_the_current_one_ends(
    api: Api, engine: Engine, partner: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = int(time.time() * 1000)
    anchor = now - now % DAY
    board = daily_board(api, anchor_ms=anchor)
    api.ok("event/send", {"events": [act("ann", 5, now)]})
    later = anchor + DAY + 1000  # the next period, within the grace: nothing is written at its start
    clock = [now / 1000]
    hub = DisplayHub(engine, LiveState(), interval=3600, clock=lambda: clock[0])
    screen = Screen(partner_id=partner.id, game_object_id=board["id"], top=10)

    async def scenario() -> list[Any]:
        watcher = hub.subscribe(screen)
        seen = [await anext(watcher)]
        await hub.tick()  # the settling render
        monkeypatch.setattr(user_score, "now_ms", lambda: later)
        clock[0] = later / 1000
        renders = hub.renders
        await hub.tick()
        assert hub.renders == renders + 1  # rendered again though the log did not move
        seen.append(await asyncio.wait_for(anext(watcher), 5))
        await watcher.aclose()
        return seen

    first, then = asyncio.run(scenario())
    assert first is not None and "ann" in first
    assert then is not None and "ann" not in then and "No score yet" in then
    assert api.ok("userScore/list", {"gameObjectId": board["id"]})["totalCount"] == 0


@pytest.mark.parametrize("flag", ["enabled", "game_services"])
def test_a_disabled_partners_big_screens_answer_404(
    api: Api, board: str, app_client: Any, engine: Engine, partner: Partner, flag: str
) -> None:
    # The widget and the API refuse a disabled partner (or one whose game services are off); its public big
    # screens went on showing its leaderboards.
    link = api.ok("displayLink/create", {"gameObjectId": board})
    path = f"/display/{_share_id(link)}"
    assert app_client.get(path).status_code == 200
    with write_transaction(engine) as conn:
        partner_service.set_enabled(conn, partner_id=partner.id, **{flag: False})
    assert app_client.get(path).status_code == 404
    assert app_client.get(f"{path}/stream").status_code == 404
    with write_transaction(engine) as conn:
        partner_service.set_enabled(conn, partner_id=partner.id, **{flag: True})
    assert app_client.get(path).status_code == 200
