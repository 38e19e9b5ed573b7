"""Per-rule metric isolation (DESIGN.md section 3): a rule that cannot use an event skips it alone, the event is
accepted (its eventId remembered) and every other rule, of every game object, still sees it."""

import time
from typing import Any

from fastapi.testclient import TestClient

from gameservices.projection.live import LiveState
from gameservices.services.scoring.event import send_calls
from gameservices.storage.database import Engine, write_transaction
from tests.conftest import Api, Partner

OPEN_WINDOW = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2099-01-01T00:00:00Z"}
VIEW = [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}]


def leaderboard(api: Api, **rule: Any) -> tuple[str, str]:
    """A leaderboard with one rule (default: the sum of playTime of viewPeriod events); (board id, rule id)."""
    board: str = api.ok(
        "leaderboard/create", {"name": "Watchers", "status": "enabled", "virtualEventIds": [], **OPEN_WINDOW}
    )["id"]
    body = {
        "name": "Watch time",
        "gameObjectType": "leaderboard",
        "gameObjectId": board,
        "mode": "distribute_points",
        "conditions": VIEW,
        "type": "sum",
        "metric": "playTime",
        "groupBy": "kuserId",
        "goal": "60",
        "points": "10",
        "maxPoints": "unlimited",
        **rule,
    }
    return board, api.ok("rule/create", body)["id"]


def sessions_badge(api: Api) -> str:
    """A badge for watching two different entries (countUnique of entryId on viewPeriod)."""
    rule = {
        "name": "Two sessions",
        "conditions": VIEW,
        "type": "countUnique",
        "metric": "entryId",
        "groupBy": "kuserId",
        "goal": "2",
    }
    badge: str = api.ok("badge/create", {"name": "Viewer", "status": "enabled", "rules": [rule]})["id"]
    return badge


def view(user: str, entry: str, **fields: Any) -> dict[str, Any]:
    return {"eventType": "viewPeriod", "userId": user, "entryId": entry, **fields}


def test_a_rule_without_its_metric_does_not_hide_the_event_from_another_object(api: Api) -> None:
    board, watch = leaderboard(api)
    badge = sessions_badge(api)
    events = [view("ann", "e1", eventId="v1"), view("ann", "e2", eventId="v2", playTime=90)]
    answer = api.ok("event/send", {"events": events})
    assert answer == {
        "accepted": 2,
        "duplicates": 0,
        "rejected": [],
        "skipped": [{"index": 0, "ruleId": watch, "message": "playTime must be a non-negative number"}],
    }
    [row] = api.ok("userBadge/list", {"gameObjectId": badge})["objects"]
    assert row["status"] == "ACHIEVED" and row["rulesData"][0]["progress"] == 2
    assert api.ok("userScore/get", {"gameObjectId": board, "userId": "ann"})["score"] == 10
    progress = api.ok("userScore/ruleProgress", {"gameObjectId": board, "userId": "ann"})["objects"]
    assert progress[0]["progress"] == 90
    # The skipped event was accepted: its eventId is remembered.
    again = api.ok("event/send", {"events": [view("ann", "e1", eventId="v1", playTime=60)]})
    assert (again["accepted"], again["duplicates"], again["skipped"]) == (0, 1, [])
    assert api.ok("userScore/get", {"gameObjectId": board, "userId": "ann"})["score"] == 10


def test_points_and_caps_read_from_the_event_are_skipped_per_rule(api: Api) -> None:
    board, bonus = leaderboard(api, type="count", goal="1", points="bonus", maxPoints="limit")
    plain, _ = leaderboard(api, type="count", goal="1", points="1")
    events = [view("bob", "e1"), view("bob", "e1", bonus=5), view("bob", "e1", bonus=5, limit=3)]
    answer = api.ok("event/send", {"events": events})
    assert answer["accepted"] == 3 and answer["rejected"] == []
    assert [(item["index"], item["ruleId"], item["message"]) for item in answer["skipped"]] == [
        (0, bonus, "bonus must be a non-negative number"),
        (1, bonus, "limit must be a non-negative number"),
    ]
    assert api.ok("userScore/get", {"gameObjectId": board, "userId": "bob"})["score"] == 3
    others = api.ok("userScore/ruleProgress", {"gameObjectId": plain, "userId": "bob"})["objects"]
    assert others[0]["progress"] == 3


def test_only_the_first_hundred_skips_are_listed(api: Api) -> None:
    leaderboard(api)
    answer = api.ok("event/send", {"events": [view(f"u{n}", "e1") for n in range(150)]})
    assert answer["accepted"] == 150 and answer["rejected"] == []
    assert [item["index"] for item in answer["skipped"]] == list(range(100))


def test_calls_in_one_transaction_list_their_own_skips(
    app_client: TestClient, engine: Engine, partner: Partner
) -> None:
    api = Api(app_client, partner.ks)
    _, watch = leaderboard(api)
    calls = [
        [view("ann", "e1", playTime=30), view("ann", "e1")],
        [{"eventType": "viewPeriod"}, view("bob", "e1", playTime="long"), view("bob", "e1", playTime=5)],
    ]
    live = LiveState()
    with live.writing(partner.id) as state, write_transaction(engine) as conn:
        results = send_calls(
            conn, state=state, partner_id=partner.id, calls=[(events, time.time()) for events in calls]
        )
    assert [
        (result.accepted, [(skip["index"], skip["ruleId"]) for skip in result.skipped]) for result in results
    ] == [(2, [(1, watch)]), (2, [(1, watch)])]
    assert [refusal["index"] for refusal in results[1].rejected] == [0]


def test_a_minutes_cap_reads_the_duration_kept_for_the_entry(api: Api) -> None:
    cap = "duration,inMinutesMultiplyByPoints"
    board, rule = leaderboard(api, type="count", goal="1", groupBy="kuserId,entryId", maxPoints=cap)
    first = api.ok("event/send", {"events": [view("ann", "e1", duration=130)]})
    assert first["skipped"] == []
    later = api.ok(
        "event/send",
        {
            "events": [
                view("ann", "e1"),  # e1 lasts 130 s (kept from the last call): cap 20
                view("ann", "e1"),
                view("bob", "e2"),  # nothing known of e2: skipped
                view("cid", "e3", duration=60),  # cap 10
                view("cid", "e3"),  # e3's duration comes from the event before, in this call
            ]
        },
    )
    assert later["accepted"] == 5
    assert later["skipped"] == [
        {
            "index": 2,
            "ruleId": rule,
            "message": "duration is missing from the event and unknown for its entry",
        }
    ]
    listed = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    assert {item["userId"]: item["score"] for item in listed} == {"ann": 20, "cid": 10}
