"""A scheduled transition whose transaction cannot get a database connection in time (the pool is taken by
requests) is tried again at the next look, as after a lost connection or a lock timeout: the failure passes, it
says nothing about the transition."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gameservices import scheduler
from gameservices.domain.timefmt import now_ms
from gameservices.projection.live import LiveState
from gameservices.services.catalog import scheduler_jobs
from gameservices.storage import database
from gameservices.storage.database import read_transaction
from tests.conftest import Api
from tests.integration.test_scheduler import challenge, schedule


class _OnRecord(logging.Handler):
    """Runs an action at the first record logged."""

    def __init__(self, action: Callable[[], None]) -> None:
        super().__init__()
        self._action: Callable[[], None] | None = action

    def emit(self, record: logging.LogRecord) -> None:
        if self._action is not None:
            action, self._action = self._action, None
            action()


def test_a_transition_that_waited_out_the_pool_stays_pending_and_runs_later(
    api: Api, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaderboard = challenge(api)
    planned = schedule(api, leaderboard, "enable", datetime.now(UTC) - timedelta(seconds=1))

    # An engine of this process with a pool of one connection, given up on after a short wait.
    real_create = database.create_engine

    def small_pool(url: Any, **options: Any) -> Any:
        return real_create(url, **{**options, "pool_size": 1, "max_overflow": 0, "pool_timeout": 0.3})

    monkeypatch.setattr(database, "create_engine", small_pool)
    engine = database.open_engine(database_url)
    monkeypatch.undo()
    live = LiveState()
    try:
        with read_transaction(engine) as conn:
            [due] = [
                record
                for record in scheduler_jobs.due(conn, now=now_ms(), limit=10**6)
                if record.id == planned["id"]
            ]
        # A request holds the pool's only connection; it is done (and the connection back) by the time the
        # scheduler has given up waiting and logged why.
        held = engine.connect()
        handler = _OnRecord(held.close)
        logging.getLogger("gameservices.scheduler").addHandler(handler)
        try:
            scheduler.run_transition(engine, live, due)
        finally:
            logging.getLogger("gameservices.scheduler").removeHandler(handler)
            held.close()

        after_timeout = api.ok("scheduledGameObject/get", {"id": planned["id"]})
        assert (after_timeout["status"], after_timeout["error"]) == ("pending", None)
        assert scheduler.run_transition(engine, live, due) is not None
        assert api.ok("scheduledGameObject/get", {"id": planned["id"]})["status"] == "done"
        assert api.ok("leaderboard/get", {"id": leaderboard})["status"] == "enabled"
    finally:
        engine.dispose()
