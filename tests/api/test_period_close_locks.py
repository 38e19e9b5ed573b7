"""Two processes: one closes a leaderboard's period (it locks the period end row, then the partner row), the
other updates the same leaderboard (Api.write locks the partner row first, then moves the pending period ends).
On PostgreSQL that order inversion deadlocks and one of them fails."""

import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from gameservices.api.app import create_app
from gameservices.services.periods import close as period_close
from tests.api.test_period_close import daily_board
from tests.conftest import Api

DAY = 86_400_000


def test_close_period_and_leaderboard_update_in_two_processes(
    app_client: TestClient,
    engine: Engine,
    settings: Any,
    partner: Any,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises whole write transactions")
    api = Api(app_client, partner.ks)
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY)
    outcome: dict[str, Any] = {}
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other:
        second = Api(other, partner.ks)
        second.ok("leaderboard/get", {"id": board["id"]})
        real_lock = period_close._lock

        def update() -> None:
            outcome["update"] = second.call("leaderboard/update", {"id": board["id"], "name": "Renamed"})

        def lock_after_the_update_started(*args: Any) -> None:
            thread = threading.Thread(target=update)
            thread.start()
            time.sleep(0.5)  # the other process's update now holds the partner row
            outcome["thread"] = thread
            real_lock(*args)

        monkeypatch.setattr(period_close, "_lock", lock_after_the_update_started)
        outcome["close"] = api.call("leaderboard/closePeriod", {"id": board["id"]})
        outcome["thread"].join(30)
    assert outcome["close"][0] == 200, outcome["close"]
    assert outcome["update"][0] == 200, outcome["update"]
