"""A partner whose period closes keep failing must not hold up the period closes of every other partner: the
scheduler's look for due period ends takes the earliest BATCH_SIZE of them, all partners together, and a
failing partner's ends stay pending (and earliest) after each failed attempt."""

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from gameservices import scheduler
from gameservices.domain.timefmt import format_ms, now_ms
from gameservices.projection.live import LiveState
from gameservices.services.access.partner import create_partner
from gameservices.services.catalog import game_objects
from gameservices.services.catalog.leaderboard import LEADERBOARD
from gameservices.services.periods import close as period_close
from gameservices.storage.database import open_engine, read_transaction, write_transaction
from gameservices.storage.migrate import upgrade
from gameservices.storage.schema import leaderboard_periods
from tests.conftest import POSTGRES_URL, postgres_database

DAY = 86_400_000


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A database of its own: no other test's pending period ends come before these."""
    if request.param == "postgres":
        if not POSTGRES_URL:
            pytest.skip("GAMESERVICES_TEST_POSTGRES_URL is not set")
        url = postgres_database("failing_closes")
    else:
        url = f"sqlite:///{tmp_path / 'gameservices.db'}"
    engine = open_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def recurring_boards(engine: Engine, partner_id: int, count: int, ends_ms: int) -> list[str]:
    """`count` daily leaderboards (grace 0) whose current period ends at `ends_ms`."""
    fields = {
        "status": "enabled",
        "startDate": ends_ms - 30 * DAY,
        "endDate": ends_ms + 30 * DAY,
        "virtualEventIds": ["1"],
        "recurrence": {
            "unit": "day",
            "interval": 1,
            "anchor": format_ms(ends_ms - 10 * DAY)[:19],
            "timezone": "UTC",
            "graceSeconds": 0,
        },
    }
    with write_transaction(engine) as conn:
        return [
            game_objects.create(
                conn, partner_id=partner_id, kind=LEADERBOARD, fields={**fields, "name": f"weekly {n}"}
            ).id
            for n in range(count)
        ]


def status_of(engine: Engine, partner_id: int, object_id: str) -> list[str]:
    with read_transaction(engine) as conn:
        rows = conn.execute(
            select(leaderboard_periods.c.status).where(
                (leaderboard_periods.c.partner_id == partner_id)
                & (leaderboard_periods.c.game_object_id == object_id)
            )
        ).all()
    return sorted(row[0] for row in rows)


def test_a_partner_whose_closes_fail_does_not_hold_up_other_partners_closes(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = fresh_engine
    with write_transaction(engine) as conn:
        broken = create_partner(conn, name="broken")["partnerId"]
        healthy = create_partner(conn, name="healthy")["partnerId"]
    # Whole seconds: the anchors are written without milliseconds.
    base = (now_ms() // 1000 + 2) * 1000
    recurring_boards(engine, broken, scheduler.BATCH_SIZE, base)  # due first
    [board] = recurring_boards(engine, healthy, 1, base + 1000)  # due a second later
    assert status_of(engine, healthy, board) == ["pending"]

    real_lock = period_close._lock

    def failing_for_broken(conn: Any, state: Any, partner_id: int) -> None:
        # Stands for any close of that partner that keeps failing (a state that cannot be loaded, a bug).
        if partner_id == broken:
            raise RuntimeError("this partner's closes fail")
        real_lock(conn, state, partner_id)

    monkeypatch.setattr(period_close, "_lock", failing_for_broken)
    while now_ms() < base + 1500:
        time.sleep(0.05)

    live = LiveState()
    jobs = scheduler.Scheduler([lambda: scheduler._periods_job(engine, live)])
    for _ in range(20):  # twenty ticks (the scheduler runs them back to back while a tick reports more)
        jobs._tick()

    # The healthy partner's period ended (and its grace of 0 passed) a while ago: it should have closed.
    assert status_of(engine, healthy, board) == ["closed", "pending"]
