"""Actions after a commit: every one runs, a failure among them is told apart from a failed write (the write is
never made again), and a state that took in half of a write's changes is dropped rather than applied twice."""

from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from starlette.testclient import TestClient

from gameservices.projection.board import Board
from gameservices.projection.replay import verify
from gameservices.storage.database import AfterCommitFailed, after_commit, read_transaction, write_transaction
from gameservices.storage.schema import partners
from tests.api.test_checkpoint import _board, _polls
from tests.conftest import Api


def test_every_action_runs_and_the_write_stays(engine: Engine, partner: Any) -> None:
    ran: list[str] = []

    def failing() -> None:
        raise ValueError("broken view")

    def rename() -> None:
        with write_transaction(engine) as conn:
            conn.execute(update(partners).where(partners.c.id == partner.id).values(name="Renamed"))
            after_commit(conn, failing)
            after_commit(conn, lambda: ran.append("wake-up"))

    with pytest.raises(AfterCommitFailed, match="broken view"):
        rename()
    assert ran == ["wake-up"]
    with read_transaction(engine) as conn:
        assert (
            conn.execute(select(partners.c.name).where(partners.c.id == partner.id)).scalar_one() == "Renamed"
        )


def test_a_half_applied_write_is_loaded_again_not_applied_twice(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    _polls(api, ("ann", "p1"))
    real_put = Board.put
    calls = [0]

    def put_failing_once(self: Board, user_id: str, standing: Any) -> None:
        calls[0] += 1
        if calls[0] == 2:  # ann's standing is in; bob's is not
            raise MemoryError("no room")
        real_put(self, user_id, standing)

    monkeypatch.setattr(Board, "put", put_failing_once)
    status, _ = api.call("event/send", {"events": [_poll("ann", "p2"), _poll("bob", "p2")]})
    monkeypatch.setattr(Board, "put", real_put)
    assert status == 500  # committed, but this process could not take it in
    scores = {
        row["userId"]: row["score"] for row in api.ok("userScore/list", {"gameObjectId": board})["objects"]
    }
    assert scores == {"ann": 20, "bob": 10}
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same


def _poll(user: str, poll: str) -> dict[str, Any]:
    return {
        "eventType": "pollAnswered",
        "userId": user,
        "pollId": poll,
        "eventTime": "2025-06-02T10:00:00Z",
        "virtualEventId": "ve1",
    }
