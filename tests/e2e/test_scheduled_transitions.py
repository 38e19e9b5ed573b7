"""Guide 15.4 over real HTTP with times a few seconds ahead: ``gameservices serve`` enables the flash
challenge when it starts and disables it when it ends, and only events in between score."""

import time
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.api import guide_bodies as guide

# The scheduler's promise: a due transition runs within this many seconds.
ON_TIME_SECONDS = 2.0


def iso(epoch_seconds: float) -> str:
    """An epoch time as the API takes it, to the millisecond."""
    return (
        datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


class Client:
    """API v1 calls of the demo partner over HTTP."""

    def __init__(self, base: str, ks: str) -> None:
        self.http = httpx.Client(
            base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {ks}"}, timeout=30
        )

    def ok(self, path: str, body: dict[str, Any]) -> Any:
        """POST an action and insist on 200."""
        response = self.http.post(f"/{path}", json=body)
        assert response.status_code == 200, (path, response.text)
        return response.json()

    def poll(self, poll_id: str, *, event_time: float | None = None) -> None:
        """User ``ann`` answers a poll (at the time received, unless an event time is given)."""
        event: dict[str, Any] = {
            "eventType": "pollAnswered",
            "userId": "ann",
            "pollId": poll_id,
            "virtualEventId": guide.VIRTUAL_EVENT_ID,
        }
        if event_time is not None:
            event["eventTime"] = event_time
        assert self.ok("event/send", {"events": [event]})["accepted"] == 1

    def score(self, leaderboard: str) -> Any:
        """Ann's score, or None while she has none."""
        response = self.http.post("/userScore/get", json={"gameObjectId": leaderboard, "userId": "ann"})
        return response.json()["score"] if response.status_code == 200 else None

    def wait_for_status(self, leaderboard: str, status: str, due: float) -> None:
        """Poll the leaderboard until it has the status, at most until its promised time."""
        while True:
            asked = time.time()
            if self.ok("leaderboard/get", {"id": leaderboard})["status"] == status:
                return
            assert asked < due + ON_TIME_SECONDS, f"not {status} within {ON_TIME_SECONDS} s of its time"
            time.sleep(0.05)


def flash_challenge(client: Client, start: float, end: float) -> str:
    """Guide 15.4: the challenge leaderboard, its double-points rule and its two scheduled transitions."""
    leaderboard: str = client.ok(
        "leaderboard/create",
        {
            "objectType": "Leaderboard",
            "name": "Keynote Flash Challenge",
            "status": "scheduled",
            "startDate": iso(start),
            "endDate": iso(end),
            "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
            "virtualEventIds": [guide.VIRTUAL_EVENT_ID],
        },
    )["id"]
    client.ok(
        "rule/create",
        {
            "gameObjectType": "leaderboard",
            "gameObjectId": leaderboard,
            "name": "Speed polls (double points)",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
            "type": "count",
            "mode": "distribute_points",
            "metric": "pollId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "50",
            "maxPoints": "unlimited",
        },
    )
    for action, moment in (("enable", start), ("disable", end)):
        client.ok(
            "scheduledGameObject/create",
            {
                "gameObjectType": "leaderboard",
                "gameObjectId": leaderboard,
                "scheduledAction": action,
                "scheduledDate": iso(moment),
            },
        )
    return leaderboard


def test_flash_challenge_opens_and_closes_on_time(served: tuple[str, dict[str, Any]]) -> None:
    base, demo = served
    client = Client(base, demo["ks"])
    start = time.time() + 1.5
    end = start + 3
    leaderboard = flash_challenge(client, start, end)

    # Before the start: too early, and (with an event time inside the window) still not enabled.
    client.poll("early")
    client.poll("early, dated inside", event_time=start + 1)
    assert time.time() < start, "the setup took longer than the lead time"
    assert client.score(leaderboard) is None
    client.wait_for_status(leaderboard, "enabled", start)
    client.poll("during")
    assert client.score(leaderboard) == 50

    client.wait_for_status(leaderboard, "disabled", end)
    # After the end: too late, and (with an event time inside the window) disabled.
    client.poll("late")
    client.poll("late, dated inside", event_time=start + 1)
    assert client.score(leaderboard) == 50

    schedules = client.ok(
        "scheduledGameObject/list", {"gameObjectId": leaderboard, "orderBy": "+scheduledDate"}
    )
    assert [(item["scheduledAction"], item["status"], item["error"]) for item in schedules["objects"]] == [
        ("enable", "done", None),
        ("disable", "done", None),
    ]
    # Never early, never more than the promised delay late (times as the server recorded them).
    for item in schedules["objects"]:
        planned = datetime.fromisoformat(item["scheduledDate"]).timestamp()
        executed = datetime.fromisoformat(item["executedAt"]).timestamp()
        assert planned <= executed <= planned + ON_TIME_SECONDS
