"""A state loaded inside a write transaction (event/send's `send_calls` → `refresh` → load) reads the buckets, the
boards and the checkpoint seq in separate statements, and PostgreSQL's write transactions see each commit of others
as it happens: another process's checkpoint committing during the load would give a state whose buckets are older
than the checkpoint seq it then applies the log after (the entries between lost from its buckets). The load keeps
checkpoints waiting until its transaction ends."""

import threading
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from gameservices.api.app import create_app
from gameservices.projection import loading
from gameservices.projection.checkpoint import checkpoint_partner
from gameservices.projection.live import LiveState
from gameservices.storage.database import read_transaction
from tests.api.test_checkpoint import _board, _polls
from tests.conftest import Api


def _scores(live: LiveState, engine: Engine, partner_id: int, board: str) -> dict[str, float]:
    with read_transaction(engine) as conn, live.reading(conn, partner_id) as state:
        return {user: s.score for user, s in state.boards[board].standings()}


def test_a_checkpoint_committing_during_a_writers_load_is_not_half_seen(
    app_client: TestClient, engine: Engine, settings: Any, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write transactions are serial snapshots: no checkpoint commits during them")
    first = Api(app_client, partner.ks)
    board = _board(first)
    _polls(first, ("ann", "p1"))  # deferred: in the log, not yet in the tables
    original = loading.load_boards
    fired: list[threading.Thread] = []

    def load_boards(conn: Any, partner_id: int) -> Any:
        if not fired:
            # Meanwhile another process's checkpoint thread writes the tables up to the log: it commits during
            # the load unless the load keeps it waiting until the writer's transaction ends.
            other = threading.Thread(target=checkpoint_partner, args=(engine, partner_id))
            fired.append(other)
            other.start()
            other.join(1.0)
        return original(conn, partner_id)

    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        second = Api(client, partner.ks)  # another process, which has not loaded the partner yet
        monkeypatch.setattr(loading, "load_boards", load_boards)
        _polls(second, ("ann", "p1"), ("bob", "p1"))  # its first write loads the partner
        monkeypatch.undo()
        fired[0].join(10)
        assert not fired[0].is_alive()
        # ann answered p1 twice: one unique poll, 10 points (a fresh load from the tables and the log says so).
        assert _scores(LiveState(), engine, partner.id, board) == {"ann": 10.0, "bob": 10.0}
        # The process that loaded during the checkpoint serves ann 20.
        body = {"gameObjectId": board, "pager": {"pageSize": 50, "pageIndex": 1}}
        served = {item["userId"]: item["score"] for item in second.ok("userScore/list", body)["objects"]}
        assert served == {"ann": 10, "bob": 10}
