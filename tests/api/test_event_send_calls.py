"""Several event/send calls applied in one transaction (services.event.send_calls, for group commit) give each
call the answer it would have had alone, and the same scores as the calls sent one after another."""

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gameservices.projection.live import LiveState
from gameservices.services.scoring import event as event_service
from gameservices.services.scoring.event import send_calls
from gameservices.storage.database import Engine, read_transaction, write_transaction
from tests.conftest import Api, Partner

CALLS: list[list[dict[str, Any]]] = [
    [
        {"eventType": "poll", "userId": "ann", "eventId": "a"},
        {"eventType": "poll", "eventId": "no-user"},
        {"eventType": "poll", "userId": "bob", "eventId": "b"},
    ],
    [
        {"eventType": "poll", "userId": "ann", "eventId": "a"},
        {"eventType": "poll", "userId": "ann", "eventId": "c"},
    ],
    [
        {"eventType": "poll", "userId": "cid", "eventId": "d"},
        {"eventType": "poll", "userId": "cid", "eventId": "d"},
        {"eventType": "poll", "userId": "cid"},
        {"eventType": "poll"},
    ],
]
# What each call answers, alone or grouped: (accepted, duplicates, indexes of refused events).
EXPECTED = [(2, 0, [1]), (1, 1, []), (2, 1, [3])]
SCORES = {"ann": 20.0, "bob": 10.0, "cid": 20.0}


def _leaderboard(api: Api) -> str:
    board: str = api.ok(
        "leaderboard/create",
        {
            "name": "Polls",
            "status": "enabled",
            "startDate": "2020-01-01T00:00:00Z",
            "endDate": "2099-01-01T00:00:00Z",
            "virtualEventIds": [],
        },
    )["id"]
    api.ok(
        "rule/create",
        {
            "name": "Answer polls",
            "gameObjectType": "leaderboard",
            "gameObjectId": board,
            "mode": "distribute_points",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "poll"}],
            "type": "count",
            "metric": "eventType",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "10",
            "maxPoints": "unlimited",
        },
    )
    return board


def _scores(api: Api, board: str) -> dict[str, float]:
    objects = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    return {item["userId"]: item["score"] for item in objects}


def _summary(answer: dict[str, Any]) -> tuple[int, int, list[int]]:
    return answer["accepted"], answer["duplicates"], [item["index"] for item in answer["rejected"]]


def test_calls_one_after_another_answer_as_written(api: Api) -> None:
    board = _leaderboard(api)
    answers = [_summary(api.ok("event/send", {"events": events})) for events in CALLS]
    assert answers == EXPECTED
    assert _scores(api, board) == SCORES


def test_calls_in_one_transaction_answer_each_call_as_alone(
    app_client: TestClient, engine: Engine, partner: Partner
) -> None:
    api = Api(app_client, partner.ks)
    board = _leaderboard(api)
    live = LiveState()
    with live.writing(partner.id) as state, write_transaction(engine) as conn:
        results = send_calls(
            conn, state=state, partner_id=partner.id, calls=[(events, time.time()) for events in CALLS]
        )
    assert [_summary(result.as_dict()) for result in results] == EXPECTED
    assert _scores(api, board) == SCORES


def test_no_calls_apply_nothing(engine: Engine, partner: Partner) -> None:
    live = LiveState()
    with live.writing(partner.id) as state, write_transaction(engine) as conn:
        assert send_calls(conn, state=state, partner_id=partner.id, calls=[]) == []


def _grouped_calls(calls: list[int], live: LiveState) -> tuple[dict[int, Any], list[list[int]]]:
    """Run each call from its own thread through LiveState.grouped; return each call's outcome and the groups."""
    groups: list[list[int]] = []
    start = threading.Barrier(len(calls))

    def run(_state: Any, group: list[int]) -> list[int]:
        groups.append(list(group))
        time.sleep(0.05)  # a slow commit, so that the other calls queue up meanwhile
        if any(call < 0 for call in group):
            raise ValueError("a negative call")
        return [call * 10 for call in group]

    outcomes: dict[int, Any] = {}

    def one(call: int) -> None:
        start.wait()
        try:
            outcomes[call] = live.grouped(7, call, run)
        except ValueError as error:
            outcomes[call] = str(error)

    threads = [threading.Thread(target=one, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes, groups


def test_grouped_calls_share_commits_and_each_gets_its_own_result() -> None:
    outcomes, groups = _grouped_calls(list(range(1, 9)), LiveState())
    assert outcomes == {call: call * 10 for call in range(1, 9)}
    assert sorted(call for group in groups for call in group) == list(range(1, 9))
    assert len(groups) < 8


def test_a_failing_call_fails_alone() -> None:
    outcomes, _ = _grouped_calls([1, 2, -3, 4, 5, 6], LiveState())
    assert outcomes == {1: 10, 2: 20, -3: "a negative call", 4: 40, 5: 50, 6: 60}


def test_warm_up_loads_the_state_before_any_request(api: Api, engine: Engine, partner: Partner) -> None:
    board = _leaderboard(api)
    api.ok("event/send", {"events": CALLS[0]})
    live = LiveState()
    with read_transaction(engine) as conn:
        live.warm_up(conn, [partner.id])
    state = live.partner(partner.id)
    assert state.rule_set is not None
    assert {user: standing.score for user, standing in state.boards[board].standings()} == {
        "ann": 10.0,
        "bob": 10.0,
    }


def test_concurrent_http_calls_are_committed_in_groups_each_answered_as_alone(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    board = _leaderboard(api)
    groups: list[int] = []

    def slow_send_calls(*args: Any, **kwargs: Any) -> Any:
        groups.append(len(kwargs["calls"]))
        time.sleep(0.05)  # a slow commit, so that the other calls queue up meanwhile
        return send_calls(*args, **kwargs)

    monkeypatch.setattr(event_service, "send_calls", slow_send_calls)
    start = threading.Barrier(8)
    answers: dict[int, Any] = {}

    def one(caller: int) -> None:
        events = [
            {"eventType": "poll", "userId": f"u{caller}", "eventId": f"e{caller}-{n}"} for n in range(3)
        ]
        events.append({"eventType": "poll", "eventId": f"no-user-{caller}"})
        start.wait(10)
        answers[caller] = _summary(api.ok("event/send", {"events": events}))

    threads = [threading.Thread(target=one, args=(caller,)) for caller in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == {caller: (3, 0, [3]) for caller in range(8)}
    assert sum(groups) == 8 and max(groups) > 1
    assert _scores(api, board) == {f"u{caller}": 30 for caller in range(8)}
