"""The other processes are woken: after a write in one process, another process's state catches up with the log
on its own, before any request reaches it (PostgreSQL: LISTEN/NOTIFY; SQLite: a poll of the log seqs, at once when
the writer rings the other processes' doorbells)."""

import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from gameservices.api.app import create_app
from gameservices.storage import event_log
from gameservices.storage.database import is_sqlite, read_transaction
from gameservices.storage.doorbells import Doorbells, folder_for
from gameservices.storage.log_wakeups import CHANNEL, LogListener, LogPoller
from tests.api import guide_bodies as guide
from tests.conftest import Api


def _wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)


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
            _wait_until(lambda: live.partner(partner.id).log_seq >= newest)
            assert live.partner(partner.id).log_seq == newest
            assert live.partner(partner.id).objects[board].name == "Woken"
        finally:
            listener.stop()


def test_a_wake_up_that_names_no_partner_is_skipped_not_the_ones_with_it(engine: Engine) -> None:
    if is_sqlite(engine):
        pytest.skip("SQLite has no wake-ups")
    woken: list[set[int]] = []
    listener = LogListener(engine, woken.append).start()
    try:
        time.sleep(0.3)  # listening
        with engine.begin() as conn:  # delivered together, at commit: one batch for the listener
            for payload in ["\u00b2", "12\u00b2", "0", "99999999999", "nobody", "42"]:
                conn.execute(
                    text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
                )
        _wait_until(lambda: bool(woken))
        assert woken == [{42}]
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
            _wait_until(lambda: live.partner(partner.id).log_seq >= newest)
            assert live.partner(partner.id).log_seq == newest
            assert live.partner(partner.id).objects[board].name == "Noticed"
        finally:
            poller.stop()


def test_a_ring_makes_the_poller_of_the_other_process_look_at_once(
    api: Api, partner: Any, engine: Engine, settings: Any
) -> None:
    if not is_sqlite(engine):
        pytest.skip("PostgreSQL processes are woken by NOTIFY")
    board = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    folder = Path(tempfile.mkdtemp(prefix="gs-bells-"))  # a short path: a socket's is limited to 107 bytes
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other_client:
        live = other_client.app.state.live  # type: ignore[attr-defined]
        Api(other_client, api.ks).ok("userScore/list", {"gameObjectId": board})  # loaded once
        # A poll interval far longer than the test: only the ring can make it look.
        poller = LogPoller(
            engine, live.followed, lambda partner_ids: live.follow(engine, partner_ids), interval=3600
        ).start()
        listening = Doorbells(folder, poller.poke).start()
        writer = Doorbells(folder, lambda: None)  # the writing process's: rings the others, not itself
        try:
            api.ok("leaderboard/update", {"id": board, "name": "Rung"})
            with read_transaction(engine) as conn:
                newest = event_log.last_seq(conn, partner.id)
            time.sleep(0.2)
            assert live.partner(partner.id).log_seq < newest  # not polled on its own
            writer.ring({partner.id})
            _wait_until(lambda: live.partner(partner.id).log_seq >= newest)
            assert live.partner(partner.id).objects[board].name == "Rung"
        finally:
            writer.stop()
            listening.stop()
            poller.stop()
    assert not folder.exists()  # the last doorbell removed the folder


def test_a_doorbell_nobody_listens_at_is_removed_and_ringing_goes_on() -> None:
    folder = Path(tempfile.mkdtemp(prefix="gs-bells-"))
    rings: list[int] = []
    alive = Doorbells(folder, lambda: rings.append(1)).start()
    gone = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    gone.bind(str(folder / "1-dead"))
    gone.close()  # its process died without removing it
    ringing = Doorbells(folder, lambda: None)
    try:
        ringing.ring()
        _wait_until(lambda: bool(rings))
        assert rings and not (folder / "1-dead").exists()
    finally:
        ringing.stop()
        alive.stop()


def test_without_a_folder_of_its_own_a_process_only_polls(
    tmp_path: Path, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    taken = tmp_path / "not-a-folder"
    taken.write_text("")
    bells = Doorbells(taken, lambda: None).start()
    assert "no doorbell for other processes' writes: polling only" in caplog.text
    bells.ring()  # and ringing from it does nothing
    bells.stop()
    assert taken.read_text() == ""  # the file in the way is left as it was
    if is_sqlite(engine):
        folder = folder_for(engine)
        assert folder is not None and folder.parent == Path(tempfile.gettempdir())
    else:
        assert folder_for(engine) is None


def test_a_partner_whose_catch_up_fails_does_not_keep_the_others_of_a_wake_up_behind(
    api: Api, partner: Any, new_partner: Any, engine: Engine, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = new_partner()
    second_api = Api(api.client, second.ks)
    boards = {
        partner.id: api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"],
        second.id: second_api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})[
            "id"
        ],
    }
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other_client:
        live = other_client.app.state.live  # type: ignore[attr-defined]
        for one, board in ((api, boards[partner.id]), (second_api, boards[second.id])):
            Api(other_client, one.ks).ok("userScore/list", {"gameObjectId": board})  # loaded once
        api.ok("leaderboard/update", {"id": boards[partner.id], "name": "Moved"})
        second_api.ok("leaderboard/update", {"id": boards[second.id], "name": "Moved"})
        real_reading = type(live).reading

        def reading(self: Any, conn: Any, partner_id: int) -> Any:
            if partner_id == partner.id:
                raise RuntimeError("the database went away")
            return real_reading(self, conn, partner_id)

        monkeypatch.setattr(type(live), "reading", reading)
        live.follow(engine, [partner.id, second.id])  # (the failing partner first)
        monkeypatch.undo()
        with read_transaction(engine) as conn:
            newest = event_log.last_seq(conn, second.id)
        assert live.partner(second.id).log_seq == newest
        assert live.partner(second.id).objects[boards[second.id]].name == "Moved"
