"""Two server processes on one PostgreSQL database: a big screen served by one process follows the scores sent to
the other (the hub reads each partner's versions from the database, so it sees changes made anywhere)."""

import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES_URL, postgres_database
from tests.console.served import Served, demo_of, serve

pytestmark = pytest.mark.postgres


def _board(served: Served) -> str:
    body = {
        "name": "Two processes",
        "status": "enabled",
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": "2040-01-01T00:00:00Z",
        "virtualEventIds": [],
    }
    board: str = served.api("leaderboard/create", body)["id"]
    rule = {
        "gameObjectType": "leaderboard",
        "gameObjectId": board,
        "name": "Watch",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
        "type": "sum",
        "mode": "distribute_points",
        "metric": "playTime",
        "groupBy": "kuserId,entryId",
        "goal": 60,
        "points": 10,
    }
    served.api("rule/create", rule)
    return board


def test_a_screen_on_one_process_follows_events_sent_to_another(tmp_path: Path) -> None:
    if not POSTGRES_URL:
        pytest.skip("GAMESERVICES_TEST_POSTGRES_URL is not set")
    url = postgres_database("display")
    with serve(url, tmp_path / "a") as first, serve(url, tmp_path / "b", demo_of(first)) as second:
        board = _board(first)
        link = first.api("displayLink/create", {"gameObjectId": board})
        share = str(link["url"]).rsplit("/", 1)[1]
        assert "No score yet" in httpx.get(f"{second.base}/display/{share}", timeout=10).text
        seen = ""
        with httpx.stream("GET", f"{second.base}/display/{share}/stream", timeout=20) as stream:
            event = {
                "eventType": "viewPeriod",
                "userId": "zed",
                "entryId": "e",
                "playTime": 60,
                "eventId": "z1",
            }
            first.api("event/send", {"events": [event]})
            deadline = time.monotonic() + 15
            for line in stream.iter_lines():
                seen += line
                if "zed" in line or time.monotonic() > deadline:
                    break
        assert "zed" in seen
        assert "zed" in httpx.get(f"{second.base}/display/{share}", timeout=10).text
        first.api("displayLink/delete", {"id": link["id"]})
        assert httpx.get(f"{second.base}/display/{share}", timeout=10).status_code == 404
