"""A catch-up that fails midway (an exception while an entry is applied, after earlier entries of the gap were
taken in) leaves a half-applied state: the partner must then be loaded from the tables, never caught up again
from that state. On PostgreSQL a write transaction loads holding the partner's checkpoint row, so the first try
gives way while that row is taken; the second try must load, not apply the entries again."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.projection import apply as apply_module
from gameservices.projection.live import LiveState
from gameservices.projection.replay import snapshot
from gameservices.storage.database import read_transaction
from tests.api import guide_bodies as guide
from tests.conftest import Api

IN_WINDOW = {"eventTime": "2025-06-02T10:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID}


def _board(api: Api) -> tuple[str, str]:
    board: str = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    rule = api.ok(
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
    return board, str(rule["id"])


def _polls(api: Api, *pairs: tuple[str, str]) -> None:
    events = [{"eventType": "pollAnswered", "userId": u, "pollId": p, **IN_WINDOW} for u, p in pairs]
    assert api.ok("event/send", {"events": events})["accepted"] == len(events)


def _top(api: Api, board: str) -> list[tuple[str, int]]:
    body = {"gameObjectId": board, "pager": {"pageSize": 100, "pageIndex": 1}}
    return [(item["userId"], item["score"]) for item in api.ok("userScore/list", body)["objects"]]


def test_a_write_whose_catch_up_fails_midway_does_not_apply_the_entries_twice(
    app_client: TestClient, engine: Engine, settings: Any, new_partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = new_partner()
    writer = Api(app_client, partner.ks)
    board, rule = _board(writer)
    _polls(writer, ("ann", "p1"))
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        follower = Api(client, partner.ks)
        assert _top(follower, board) == [("ann", 10)]  # the second process loads the partner now
        # The gap the follower will catch up with: events, a rule change, events.
        _polls(writer, ("ann", "p2"))
        writer.ok("rule/update", {"id": rule, "points": "3"})
        _polls(writer, ("bob", "p1"))
        # The second evaluation of the follower's catch-up fails once (after ann's p2 was taken in), as a
        # MemoryError in the engine would.
        real_evaluate = apply_module.evaluate
        calls: list[int] = []

        def failing_once(*args: Any, **options: Any) -> Any:
            calls.append(1)
            if len(calls) == 2:
                raise MemoryError("no room for the evaluation")
            return real_evaluate(*args, **options)

        monkeypatch.setattr(apply_module, "evaluate", failing_once)
        # A write of the follower brings its state up to the log within its write transaction.
        _polls(follower, ("cid", "p1"))
        monkeypatch.undo()
        assert len(calls) >= 2
        expected = [("ann", 20), ("bob", 3), ("cid", 3)]
        assert _top(writer, board) == expected
        assert _top(follower, board) == expected
        followed = snapshot(client.app.state.live.partner(partner.id))  # type: ignore[attr-defined]
    with read_transaction(engine) as conn, LiveState().reading(conn, partner.id) as stored:
        assert followed == snapshot(stored)
