"""kill -9 of a real ``gameservices serve`` process while it closes a period of a recurring leaderboard: after a
restart the period closes once, and its rewards (a badge for the podium, a point per period end on a tally
leaderboard) are granted exactly once (docs/periods.md).

The kill lands inside the close: the test watches for the close's transaction (on PostgreSQL: the lock on the
period end's row; on SQLite: the database's write lock, the close being the server's only writer once the
events are in and the log retention job is off) and kills the server the moment it holds it."""

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from gameservices.domain.timefmt import format_ms
from gameservices.projection.entries import PERIOD_CLOSE
from gameservices.projection.replay import verify
from gameservices.storage.database import open_engine, read_transaction
from gameservices.storage.schema import event_log, leaderboard_periods
from tests.api import guide_bodies as guide
from tests.conftest import DATABASES, POSTGRES_URL, postgres_database
from tests.durability.processes import Server

USERS = 8_000
DAY = 86_400_000
LEAD_MS = 15_000  # from creating the leaderboard to its period's end: time to send the users' events


def _ok(server: Server, path: str, body: dict[str, Any]) -> Any:
    status, answer = server.call(path, body)
    assert status == 200, (path, status, answer)
    return answer


def _setup(server: Server) -> tuple[str, str, str, int]:
    now = int(time.time() * 1000)
    ends = (now + LEAD_MS) // 1000 * 1000
    board = _ok(
        server,
        "leaderboard/create",
        {
            **guide.leaderboard_4_2(),
            "status": "enabled",
            "startDate": format_ms(now - 2 * DAY),
            "endDate": format_ms(now + 2 * DAY),
            "recurrence": {
                "unit": "day",
                "anchor": format_ms(ends - DAY)[:19],
                "timezone": "UTC",
                "graceSeconds": 0,
            },
        },
    )["id"]
    act = {"fact": "eventType", "operator": "equal", "value": "act"}
    _ok(
        server,
        "rule/create",
        {
            "gameObjectType": "leaderboard",
            "gameObjectId": board,
            "name": "Points",
            "conditions": [act],
            "type": "sum",
            "mode": "distribute_points",
            "metric": "points",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "1",
            "maxPoints": "unlimited",
        },
    )
    period_end = {"fact": "eventType", "operator": "equal", "value": "leaderboardPeriodEnd"}
    badge = _ok(
        server,
        "badge/create",
        {
            **guide.badge_7_1(),
            "rules": [
                {
                    "name": "Podium",
                    "conditions": [period_end, {"fact": "rank", "operator": "lessThan", "value": 4}],
                    "type": "count",
                    "metric": "rank",
                    "groupBy": "kuserId",
                    "goal": "1",
                }
            ],
        },
    )["id"]
    wide = {"startDate": "2000-01-01T00:00:00Z", "endDate": "2100-01-01T00:00:00Z", "status": "enabled"}
    tally = _ok(server, "leaderboard/create", {**guide.leaderboard_4_2(), **wide})["id"]
    _ok(
        server,
        "rule/create",
        {
            "gameObjectType": "leaderboard",
            "gameObjectId": tally,
            "name": "Period ends",
            "conditions": [period_end],
            "type": "count",
            "mode": "distribute_points",
            "metric": "rank",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "1",
            "maxPoints": "unlimited",
        },
    )
    at = now / 1000
    events = [
        {"eventType": "act", "userId": f"user{index:05d}", "points": 1 + index % 97, "eventTime": at}
        for index in range(USERS)
    ]
    for start in range(0, USERS, 4_000):
        _ok(server, "event/send", {"events": events[start : start + 4_000]})
    assert int(time.time() * 1000) < ends - 1000, "the setup took longer than the lead time"
    return board, badge, tally, ends


def _close_in_progress(engine: Engine) -> bool:
    # The close's transaction locks the period end's row (SELECT ... FOR UPDATE) until it commits.
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'leaderboard_periods' AND l.mode = 'RowShareLock' AND l.granted "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        ).scalar_one()
    return int(found) > 0


def _writing(path: Path) -> bool:
    # A write transaction holds SQLite's write lock until it ends: taking it without waiting fails meanwhile.
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


def _status(engine: Engine, board: str) -> str | None:
    with read_transaction(engine) as conn:
        found = conn.execute(
            select(leaderboard_periods.c.status).where(
                (leaderboard_periods.c.game_object_id == board) & (leaderboard_periods.c.period_index == 0)
            )
        ).scalar_one_or_none()
    return None if found is None else str(found)


@pytest.mark.parametrize("database", DATABASES)
def test_kill_during_a_period_close_rewards_exactly_once(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No other writer in the server while the close runs: the log retention job would be one.
    monkeypatch.setenv("GAMESERVICES_EVENT_LOG_RETENTION_DAYS", "0")
    if database == "postgres":
        if not POSTGRES_URL:
            pytest.skip("GAMESERVICES_TEST_POSTGRES_URL is not set")
        url = postgres_database("period_crash")
    else:
        url = f"sqlite:///{tmp_path / 'gameservices.db'}"
    server = Server(url, tmp_path)
    server.start()
    engine = open_engine(url)
    try:
        board, badge, tally, ends = _setup(server)
        while time.time() * 1000 < ends:
            time.sleep(0.01)
        if database == "postgres":
            deadline = time.monotonic() + 30
            while not _close_in_progress(engine):
                assert time.monotonic() < deadline, "no close began"
            server.kill()
        else:
            deadline = time.monotonic() + 30
            while not _writing(tmp_path / "gameservices.db"):
                assert time.monotonic() < deadline, "no close began"
            server.kill()
        assert _status(engine, board) == "pending"  # the close's transaction died with the process
        server.start()
        deadline = time.monotonic() + 60
        while _status(engine, board) != "closed":
            assert time.monotonic() < deadline, "the period did not close after the restart"
            time.sleep(0.1)
        _check_exactly_once(server, engine, board, badge, tally)
    finally:
        server.stop()
        engine.dispose()


def _check_exactly_once(server: Server, engine: Engine, board: str, badge: str, tally: str) -> None:
    partner_id = server.demo["partnerId"]
    with read_transaction(engine) as conn:
        closes = conn.execute(
            select(event_log.c.seq).where(
                (event_log.c.partner_id == partner_id) & (event_log.c.kind == PERIOD_CLOSE)
            )
        ).all()
        assert len(closes) == 1
        verdict = verify(conn, partner_id)
        assert verdict.same, verdict.differences
    counted = _ok(server, "userScore/list", {"gameObjectId": tally, "pager": {"pageSize": 500}})
    assert counted["totalCount"] == USERS
    assert {item["score"] for item in counted["objects"]} == {1}
    podium = _ok(server, "userBadge/list", {"gameObjectId": badge, "statusEqual": "ACHIEVED"})
    top = _ok(server, "userScore/list", {"gameObjectId": board, "period": 0, "pager": {"pageSize": 3}})
    assert {item["userId"] for item in podium["objects"]} == {item["userId"] for item in top["objects"]}
    assert podium["totalCount"] == 3
