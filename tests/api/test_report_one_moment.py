"""A report reflects one moment: its standings and the ledger cells and names beside them are read from the same
snapshot of the tables, even when a write lands between the report's own reads."""

import csv
import io
from datetime import date
from typing import Any

from sqlalchemy import Engine
from starlette.testclient import TestClient

from gameservices.projection import checkpoint
from gameservices.projection.live import LiveState
from gameservices.services.reports import generate as report
from gameservices.storage import checkpoints
from gameservices.storage import game_objects as object_repository
from gameservices.storage.database import read_transaction
from tests.api.test_checkpoint import _board, _polls
from tests.conftest import Api


def _report_rows(live: LiveState, conn: Any, partner_id: int, board: str) -> list[dict[str, str]]:
    record = object_repository.get_game_object(conn, partner_id=partner_id, object_id=board)
    assert record is not None
    planned = report.plan(
        partner_id=partner_id,
        record=record,
        report_type="userScore",
        file_format="csv",
        summary=False,
        day=date(2025, 6, 2),
    )
    text = b"".join(report.render(conn, live=live, report=planned)).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_write_between_the_reports_reads_is_in_none_of_them(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    _polls(api, ("ann", "p1"), ("bob", "p1"))
    live: LiveState = app_client.app.state.live  # type: ignore[attr-defined]
    checkpoint.bring_up(engine, live, partner.id)
    with read_transaction(engine) as conn:
        checkpoints.read(conn, partner.id)  # the report's snapshot begins
        _polls(api, ("ann", "p2"), ("cid", "p1"))  # committed and applied to the live state meanwhile
        rows = _report_rows(live, conn, partner.id, board)
    assert [(row["userId"], row["score"], row["Polls"]) for row in rows] == [
        ("ann", "10", "10"),
        ("bob", "10", "10"),
    ]
    checkpoint.bring_up(engine, live, partner.id)  # as every report does first
    with read_transaction(engine) as conn:
        rows = _report_rows(live, conn, partner.id, board)
    assert [(row["userId"], row["score"], row["Polls"]) for row in rows] == [
        ("ann", "20", "20"),
        ("bob", "10", "10"),
        ("cid", "10", "10"),
    ]
