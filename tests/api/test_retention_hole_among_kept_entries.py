"""Retention deletes by age, and an entry's time is taken when its call is received: a call received earlier may
commit later, so a cutoff between two such times deletes an entry among kept ones while the log still starts at
entry 1 (docs/event-log.md). A replay or a rebuild over such a log lacks the deleted entry's events: it must know
the log is incomplete (as it does when the start is gone), not take what is kept for the whole history."""

from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from starlette.testclient import TestClient

from gameservices.projection.checkpoint import checkpoint_partner
from gameservices.projection.replay import NotReplayable, verify
from gameservices.storage import event_log
from gameservices.storage.database import read_transaction, write_transaction
from gameservices.storage.schema import event_log as event_log_table
from tests.api.test_checkpoint import _board, _polls
from tests.conftest import Api


def _hole_in_the_middle(api: Api, engine: Engine, partner_id: int, *, last: bool = False) -> tuple[str, int]:
    """A board whose log keeps entry 1 and the newest entries but lost a scored entry between them (`last`: lost
    its newest entry)."""
    board = _board(api)
    _polls(api, ("ann", "p1"))
    if not last:
        _polls(api, ("bob", "p1"))  # this entry's call was received before every other one: deleted below
    with read_transaction(engine) as conn:
        lost = event_log.last_seq(conn, partner_id)
    _polls(api, ("cid", "p1"))
    if last:
        with read_transaction(engine) as conn:
            lost = event_log.last_seq(conn, partner_id)
    checkpoint_partner(engine, partner_id)
    with write_transaction(engine) as conn:
        conn.execute(
            update(event_log_table).where(event_log_table.c.partner_id == partner_id).values(created_at=5_000)
        )
        conn.execute(
            update(event_log_table)
            .where(event_log_table.c.partner_id == partner_id, event_log_table.c.seq == lost)
            .values(created_at=1_000)
        )
        event_log.delete_older_than(conn, 2_000, limit=1_000)  # the retention job's cutoff between them
        kept = [
            row.seq
            for row in conn.execute(
                select(event_log_table.c.seq).where(event_log_table.c.partner_id == partner_id)
            )
        ]
    assert 1 in kept and lost not in kept and (last or lost + 1 in kept)
    return board, lost


def test_rebuild_over_a_hole_keeps_the_points_of_the_deleted_entry(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board, _ = _hole_in_the_middle(api, engine, partner.id)
    before = {
        row["userId"]: row["score"] for row in api.ok("userScore/list", {"gameObjectId": board})["objects"]
    }
    assert before == {"ann": 10, "bob": 10, "cid": 10}
    status, answer = api.call("leaderboard/rebuild", {"id": board})
    after = {
        row["userId"]: row["score"] for row in api.ok("userScore/list", {"gameObjectId": board})["objects"]
    }
    # Refused as a log without its start is (LOG_NOT_COMPLETE), or done without losing bob's points.
    assert (status, answer.get("code")) == (400, "LOG_NOT_COMPLETE") or after == before, (
        status,
        answer,
        after,
    )


def test_verify_over_a_hole_says_the_log_is_not_replayable(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    _hole_in_the_middle(api, engine, partner.id)
    with read_transaction(engine) as conn, pytest.raises(NotReplayable, match="lacks entries"):
        verify(conn, partner.id)


def test_verify_and_rebuild_of_a_log_that_lost_its_newest_entry_know_it(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board, _ = _hole_in_the_middle(api, engine, partner.id, last=True)
    with read_transaction(engine) as conn, pytest.raises(NotReplayable, match="lacks entries"):
        verify(conn, partner.id)
    status, answer = api.call("leaderboard/rebuild", {"id": board})
    assert (status, answer.get("code")) == (400, "LOG_NOT_COMPLETE"), answer
