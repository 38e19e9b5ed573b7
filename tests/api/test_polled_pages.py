"""userScore/list pages are rendered once per change of the scores and answered from that rendering until the
next change: every change (events, policies, clearing, objects) shows at once, and nothing crosses partners."""

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gameservices.api.app import create_app
from gameservices.services.scoring import visibility
from tests.api import guide_bodies as guide
from tests.conftest import Api

IN_WINDOW = {"eventTime": "2025-06-02T10:00:00Z"}


def _board(api: Api) -> str:
    board: str = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    api.ok(
        "rule/create",
        {
            "name": "Answer polls",
            "gameObjectType": "leaderboard",
            "gameObjectId": board,
            "mode": "distribute_points",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
            "type": "count",
            "metric": "pollId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "10",
            "maxPoints": "unlimited",
        },
    )
    return board


def _poll(api: Api, user: str, poll: str) -> None:
    event = {
        "eventType": "pollAnswered",
        "userId": user,
        "pollId": poll,
        "virtualEventId": guide.VIRTUAL_EVENT_ID,
        **IN_WINDOW,
    }
    api.ok("event/send", {"events": [event]})


def _top(api: Api, board: str, **extra: Any) -> list[tuple[str, int]]:
    body = {"gameObjectId": board, "pager": {"pageSize": 25, "pageIndex": 1}, **extra}
    return [(item["userId"], item["score"]) for item in api.ok("userScore/list", body)["objects"]]


def test_each_change_shows_in_the_next_poll(api: Api) -> None:
    board = _board(api)
    assert _top(api, board) == []
    _poll(api, "ann", "p1")
    assert _top(api, board) == _top(api, board) == [("ann", 10)]
    _poll(api, "bob", "p1")
    _poll(api, "bob", "p2")
    assert _top(api, board) == [("bob", 20), ("ann", 10)]
    assert _top(api, board, userIdEqual="ann", placesAboveUser=1) == [("bob", 20), ("ann", 10)]
    api.ok("userScore/clear", {"gameObjectId": board})
    assert _top(api, board) == []


def test_a_cached_page_never_answers_another_question(api: Api) -> None:
    board, other = _board(api), _board(api)
    _poll(api, "ann", "p1")
    assert _top(api, board) == _top(api, other) == [("ann", 10)]
    status, error = api.call(
        "userScore/list", {"gameObjectId": board, "gameObjectType": "badge", "pager": {"pageSize": 25}}
    )
    assert status == 400 and error["code"] == "VALIDATION_ERROR"
    api.ok("leaderboard/delete", {"id": other})
    status, error = api.call("userScore/list", {"gameObjectId": other, "pager": {"pageSize": 25}})
    assert status == 404 and error["code"] == "OBJECT_NOT_FOUND"
    assert _top(api, board) == [("ann", 10)]


def test_pages_stay_with_their_partner(app_client: Any, new_partner: Any) -> None:
    owner, intruder = Api(app_client, new_partner().ks), Api(app_client, new_partner().ks)
    board = _board(owner)
    _poll(owner, "ann", "p1")
    assert _top(owner, board) == [("ann", 10)]
    status, error = intruder.call("userScore/list", {"gameObjectId": board, "pager": {"pageSize": 25}})
    assert status == 404 and error["code"] == "OBJECT_NOT_FOUND"


def test_a_change_made_by_another_process_shows_in_the_next_poll(
    api: Api, app_client: Any, engine: Any, settings: Any
) -> None:
    # Two applications on one database stand for two server processes, each with its own live state.
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other_client:
        other = Api(other_client, api.ks)
        board = _board(api)
        _poll(api, "ann", "p1")
        assert _top(other, board) == _top(api, board) == [("ann", 10)]
        _poll(other, "bob", "p1")
        _poll(other, "bob", "p2")
        assert _top(api, board) == [("bob", 20), ("ann", 10)]
        api.ok("leaderboard/update", {"id": board, "name": "Renamed"})
        _poll(api, "cid", "p3")
        assert _top(other, board) == [("bob", 20), ("ann", 10), ("cid", 10)]
        other.ok("leaderboard/delete", {"id": board})
        assert api.call("userScore/list", {"gameObjectId": board, "pager": {"pageSize": 25}})[0] == 404


def test_a_page_rendered_from_a_rolled_back_write_is_never_answered(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A profile change applies its own entries to the state within its transaction, holding the state until the
    # transaction ends: a poll arriving meanwhile waits, and is rendered from the state loaded again at the older
    # versions once the write rolled back. Later writes reach the versions the rolled-back write had given the
    # state, with other scores: no page may be kept under them from before.
    board = _board(api)
    _poll(api, "ann", "p1")
    body = {"gameObjectId": board, "pager": {"pageSize": 10, "pageIndex": 1}}

    def users() -> list[str]:
        return [row["userId"] for row in api.ok("userScore/list", body)["objects"]]

    rendered: list[list[str]] = []
    racers: list[threading.Thread] = []

    def poll_then_fail(*_: Any) -> None:
        racers.append(threading.Thread(target=lambda: rendered.append(users())))
        racers[0].start()
        raise RuntimeError("the connection was lost")

    monkeypatch.setattr(visibility, "_save", poll_then_fail)
    status, _ = api.call("userProfile/upsert", {"userId": "dan", "email": "dan@example.com"})
    monkeypatch.undo()
    racers[0].join(30)
    assert status == 500 and rendered == [["ann"]]
    _poll(api, "bob", "p1")
    _poll(api, "cid", "p1")  # the versions the rolled-back write had given the state
    assert users() == ["ann", "bob", "cid"]
