"""A read of the derived tables after a write's answer must see it, even when the reading process's state was
loaded with that write among entries applied together and another process checkpointed among them."""

from typing import Any

from sqlalchemy import Engine
from starlette.testclient import TestClient

from gameservices.api.app import create_app
from gameservices.projection.checkpoint import checkpoint_partner, write_checkpoint
from gameservices.projection.live import LiveState
from gameservices.storage.database import read_transaction
from tests.api.test_checkpoint import _board, _polls
from tests.conftest import Api


def test_table_read_after_straddled_checkpoint_sees_answered_write(
    app_client: TestClient, engine: Engine, settings: Any, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    checkpoint_partner(engine, partner.id)
    _polls(api, ("u1", "p1"))
    early = LiveState()  # a third process, loaded at the first entry
    with read_transaction(engine) as conn, early.reading(conn, partner.id):
        pass
    _polls(api, ("u2", "p1"))  # answered
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other:
        reader = Api(other, partner.ks)
        reader.ok("userScore/list", {"gameObjectId": board})  # loads: both entries applied together
        assert write_checkpoint(engine, early.partner(partner.id), partner.id) is not None  # among them
        progress = reader.ok("userScore/ruleProgress", {"gameObjectId": board, "userId": "u2"})["objects"]
        assert progress[0]["score"] == 10, progress
