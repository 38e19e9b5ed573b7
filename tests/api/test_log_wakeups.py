"""PostgreSQL wakes the other processes: after a write in one process, another process's state catches up with
the log on its own (LISTEN/NOTIFY), before any request reaches it."""

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.storage import event_log
from gameservices.storage.database import is_sqlite, read_transaction
from gameservices.storage.log_wakeups import LogListener, LogPoller
from tests.api import guide_bodies as guide
from tests.conftest import Api


def test_a_write_wakes_the_other_process(api: Api, partner: Any, engine: Engine, settings: Any) -> None:
    if is_sqlite(engine):
        pytest.skip("SQLite has no wake-ups: a process notices new entries when a request authenticates")
    board = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other_client:
        live = other_client.app.state.live  # type: ignore[attr-defined]
        Api(other_client, api.ks).ok("userScore/list", {"gameObjectId": board})  # loaded once
        listener = LogListener(engine, lambda partner_ids: live.follow(engine, partner_ids)).start()
        try:
            time.sleep(0.3)  # listening
            api.ok("leaderboard/update", {"id": board, "name": "Woken"})
            with read_transaction(engine) as conn:
                newest = event_log.last_seq(conn, partner.id)
            deadline = time.monotonic() + 5
            while live.partner(partner.id).log_seq < newest and time.monotonic() < deadline:
                time.sleep(0.02)
            assert live.partner(partner.id).log_seq == newest
            assert live.partner(partner.id).objects[board].name == "Woken"
        finally:
            listener.stop()


def test_a_write_is_noticed_by_the_other_process_polling_sqlite(
    api: Api, partner: Any, engine: Engine, settings: Any
) -> None:
    if not is_sqlite(engine):
        pytest.skip("PostgreSQL processes are woken by NOTIFY")
    board = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other_client:
        live = other_client.app.state.live  # type: ignore[attr-defined]
        Api(other_client, api.ks).ok("userScore/list", {"gameObjectId": board})  # loaded once
        poller = LogPoller(
            engine, live.followed, lambda partner_ids: live.follow(engine, partner_ids)
        ).start()
        try:
            api.ok("leaderboard/update", {"id": board, "name": "Noticed"})
            with read_transaction(engine) as conn:
                newest = event_log.last_seq(conn, partner.id)
            deadline = time.monotonic() + 5
            while live.partner(partner.id).log_seq < newest and time.monotonic() < deadline:
                time.sleep(0.005)
            assert live.partner(partner.id).log_seq == newest
            assert live.partner(partner.id).objects[board].name == "Noticed"
        finally:
            poller.stop()
