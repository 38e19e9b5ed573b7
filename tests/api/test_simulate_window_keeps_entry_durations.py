"""A `rule/simulate` time window limits which events count (docs/replay.md), not what the service knows of an
entry: an event inside the window without a `duration` of its own is capped by its entry's last seen duration, as
the live service capped it, even when the event that told the duration lies outside the window."""

from tests.conftest import Api

MINUTES = {
    "name": "minutes",
    "gameObjectType": "leaderboard",
    "mode": "distribute_points",
    "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
    "type": "count",
    "metric": "playTime",
    "groupBy": "kuserId",
    "goal": "1",
    "points": "4",
    "maxPoints": "duration,inMinutesMultiplyByPoints",
}


def test_an_event_in_the_window_is_capped_by_a_duration_seen_before_it(api: Api) -> None:
    body = {
        "name": "p",
        "status": "enabled",
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": "2099-01-01T00:00:00Z",
        "virtualEventIds": [],
    }
    board = api.ok("leaderboard/create", body)["id"]
    api.ok("rule/create", {**MINUTES, "gameObjectId": board})
    view = {"eventType": "viewPeriod", "entryId": "e1", "playTime": 10}
    api.ok(
        "event/send",
        {"events": [{**view, "userId": "zed", "duration": 300, "eventTime": "2025-05-01T10:00:00Z"}]},
    )
    api.ok("event/send", {"events": [{**view, "userId": "ann", "eventTime": "2025-06-02T10:00:00Z"}]})
    live = api.ok("userScore/get", {"gameObjectId": board, "userId": "ann"})["score"]
    assert live == 4  # capped by e1's 300 s that zed's event told
    # Every event of ann lies in the window: her score is what the live service gave her.
    answer = api.ok("rule/simulate", {"gameObjectId": board, "fromTime": "2025-06-01T00:00:00Z"})
    assert answer["eventsReplayed"] == 1
    assert {o["userId"]: o["score"] for o in answer["top"]} == {"ann": 4}, answer
