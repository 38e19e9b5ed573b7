"""A state that is behind and whose missing entries were deleted by retention (they were checkpointed) must not
catch up across the hole: it would skip them and still claim to reflect the whole log. Retention deletes by age,
and an entry's time is taken when its call is received: a call received earlier may commit later (in another
process waiting for the partner row lock, say), so a cutoff between two such times may also delete an entry among
kept ones."""

from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update
from starlette.testclient import TestClient

from gameservices.projection.checkpoint import checkpoint_partner
from gameservices.projection.live import LiveState
from gameservices.storage import event_log
from gameservices.storage.database import read_transaction, write_transaction
from gameservices.storage.schema import event_log as event_log_table
from tests.api.test_checkpoint import _board, _polls
from tests.conftest import Api


def _scores(live: LiveState, engine: Engine, partner_id: int, board: str) -> dict[str, float]:
    with read_transaction(engine) as conn, live.reading(conn, partner_id) as state:
        return {user: s.score for user, s in state.boards[board].standings()}


def test_catch_up_across_entries_deleted_by_retention(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    _polls(api, ("ann", "p1"))
    idle = LiveState()  # e.g. the `gameservices worker` process: it follows nobody between its jobs
    assert _scores(idle, engine, partner.id, board) == {"ann": 10.0}
    _polls(api, ("bob", "p1"))
    _polls(api, ("bob", "p2"))
    checkpoint_partner(engine, partner.id)
    _age_and_trim(engine, partner.id)  # those entries are now older than the retention
    _polls(api, ("cid", "p1"))
    fresh = _scores(LiveState(), engine, partner.id, board)
    assert fresh == {"ann": 10.0, "bob": 20.0, "cid": 10.0}
    assert _scores(idle, engine, partner.id, board) == fresh


def test_catch_up_when_retention_deleted_every_entry_it_lacks(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    _polls(api, ("ann", "p1"))
    idle = LiveState()
    assert _scores(idle, engine, partner.id, board) == {"ann": 10.0}
    _polls(api, ("bob", "p1"))
    checkpoint_partner(engine, partner.id)
    _age_and_trim(engine, partner.id)  # nothing after the idle state's seq is left in the log
    assert _scores(idle, engine, partner.id, board) == {"ann": 10.0, "bob": 10.0}


def test_a_load_refuses_a_hole_after_the_checkpoint(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    _board(api)
    checkpoint_partner(engine, partner.id)
    _polls(api, ("ann", "p1"))
    _polls(api, ("bob", "p1"))
    with write_transaction(engine) as conn:  # (retention never deletes entries after the checkpoint)
        first = event_log.entries_after(conn, partner.id, 0, limit=1_000)[-2].seq
        conn.execute(
            delete(event_log_table).where(
                event_log_table.c.partner_id == partner.id, event_log_table.c.seq == first
            )
        )
    with (
        pytest.raises(RuntimeError, match="missing"),
        read_transaction(engine) as conn,
        LiveState().reading(conn, partner.id),
    ):
        pass


def _age_and_trim(engine: Engine, partner_id: int) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            update(event_log_table).where(event_log_table.c.partner_id == partner_id).values(created_at=0)
        )
        event_log.delete_older_than(conn, 1, limit=1_000)


def test_catch_up_across_a_hole_retention_made_in_the_middle(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    _polls(api, ("ann", "p1"))
    idle = LiveState()  # a `gameservices worker`'s state: it follows nobody between its jobs
    assert _scores(idle, engine, partner.id, board) == {"ann": 10.0}
    with read_transaction(engine) as conn:
        at = event_log.last_seq(conn, partner.id)
    _polls(api, ("bob", "p1"))  # seq at+1
    _polls(api, ("bob", "p2"))  # seq at+2
    checkpoint_partner(engine, partner.id)
    # Every entry is old; at+2's call was received 1 ms before at+1's (it committed second).
    with write_transaction(engine) as conn:
        for seq, created in ((at + 1, 2_000), (at + 2, 1_000)):
            conn.execute(
                update(event_log_table)
                .where(event_log_table.c.partner_id == partner.id, event_log_table.c.seq == seq)
                .values(created_at=created)
            )
        conn.execute(
            update(event_log_table)
            .where(event_log_table.c.partner_id == partner.id, event_log_table.c.seq <= at)
            .values(created_at=3_000)
        )
        # The retention job's cutoff falls between the two.
        event_log.delete_older_than(conn, 1_500, limit=1_000)
        kept = [
            row.seq
            for row in conn.execute(
                select(event_log_table.c.seq)
                .where(event_log_table.c.partner_id == partner.id)
                .order_by(event_log_table.c.seq)
            )
        ]
    assert at + 1 in kept and at + 2 not in kept  # a hole in the middle of the log
    _polls(api, ("cid", "p1"))
    fresh = _scores(LiveState(), engine, partner.id, board)
    assert fresh == {"ann": 10.0, "bob": 20.0, "cid": 10.0}
    assert _scores(idle, engine, partner.id, board) == fresh
