"""Races between the derived tables' checkpoint and the partner's other threads.

1. A writer whose state must be loaded (catch-up refused) takes the checkpoint row's lock, which a load in a
   PostgreSQL write transaction holds; a checkpoint holds that row and then waits for the state's lock shared
   (`checkpoint._rows_lacking`): the writer must not hold the state's lock while it waits for the row.
2. `checkpoint.bring_up`, before a read of the tables, must bring them up to the state it read even when a
   concurrent rolled-back write forgets that state meanwhile.
"""

import threading
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from gameservices.api.app import create_app
from gameservices.errors import Unavailable
from gameservices.projection import catch_up, checkpoint
from gameservices.projection.checkpoint import checkpoint_partner, write_checkpoint
from gameservices.services.scoring import event as event_service
from gameservices.services.scoring import visibility
from gameservices.storage import checkpoints
from gameservices.storage.database import write_transaction
from tests.api.lock_waits import join_or_unstick
from tests.api.test_checkpoint import IN_WINDOW, _board, _polls, _seqs
from tests.conftest import Api


def test_a_writer_loading_its_state_and_a_checkpoint_do_not_wait_for_each_other(
    app_client: TestClient,
    engine: Engine,
    settings: Any,
    partner: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write transactions take turns before any row is locked")
    api = Api(app_client, partner.ks)
    board = _board(api)
    checkpoint_partner(engine, partner.id)
    live = app_client.app.state.live  # type: ignore[attr-defined]
    _polls(api, ("ann", "p1"))  # this process's state is now ahead of the tables (a deferred entry)
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other:
        _polls(Api(other, partner.ks), ("bob", "p1"))  # another process appends two more entries
        _polls(Api(other, partner.ks), ("cid", "p1"))
    state = live.partner(partner.id)
    tables_at, last = _seqs(engine, partner.id)
    assert tables_at < state.log_seq < last
    # The gap is past what a catch-up applies (5,000 entries in production, 1 here): the writer loads the state.
    monkeypatch.setattr(catch_up, "MAX_ENTRIES", 1)

    real_lock = checkpoints.lock
    writer_in_load = threading.Event()
    checkpoint_has_row = threading.Event()

    def ordered_lock(conn: Any, partner_id: int) -> int:
        # Only orders the two threads: the writer reaches the lock (holding the state exclusively) first, the
        # checkpoint takes the row first.
        if threading.current_thread().name == "racing-writer":
            writer_in_load.set()
            checkpoint_has_row.wait(10)
            return real_lock(conn, partner_id)
        found = real_lock(conn, partner_id)
        if threading.current_thread().name == "racing-checkpoint":
            checkpoint_has_row.set()
        return found

    monkeypatch.setattr(checkpoints, "lock", ordered_lock)
    outcomes: dict[str, Any] = {}

    def write() -> None:
        try:
            with live.writing(partner.id) as held, write_transaction(engine) as conn:
                event = {"eventType": "pollAnswered", "userId": "dan", "pollId": "p1", **IN_WINDOW}
                outcomes["writer"] = event_service.send(
                    conn, state=held, partner_id=partner.id, raw_events=[event], received_at=0.0
                )
        except Exception as error:
            outcomes["writer"] = error

    def checkpoint_once() -> None:
        try:
            outcomes["checkpoint"] = write_checkpoint(engine, state, partner.id)
        except Exception as error:
            outcomes["checkpoint"] = error

    writer = threading.Thread(target=write, name="racing-writer", daemon=True)
    writer.start()
    assert writer_in_load.wait(10)
    checkpointer = threading.Thread(target=checkpoint_once, name="racing-checkpoint", daemon=True)
    checkpointer.start()
    stuck = join_or_unstick(engine, [writer, checkpointer], seconds=10)
    assert not stuck, f"deadlocked for 10 s: {stuck} (outcomes: {outcomes})"
    scored = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    assert sorted(row["userId"] for row in scored) == ["ann", "bob", "cid", "dan"]


def test_a_read_of_the_tables_sees_an_answered_write_when_the_state_is_forgotten_meanwhile(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    checkpoint_partner(engine, partner.id)
    _polls(api, ("ann", "p1"))  # answered; its buckets, ledger and total are left to the checkpoint
    tables_at, last = _seqs(engine, partner.id)
    assert tables_at < last

    real_write_checkpoint = checkpoint.write_checkpoint
    raced: list[int] = []
    returned: list[Any] = []

    def failing_save(*_: Any) -> None:
        raise RuntimeError("the connection was lost")

    def a_failing_write_first(*args: Any, **kwargs: Any) -> Any:
        # Another request of the partner, at that moment: a profile change that fails and rolls back (its
        # rollback forgets the state, which it had brought up to its own entries).
        if not raced:
            with monkeypatch.context() as patch:
                patch.setattr(visibility, "_save", failing_save)
                failing = threading.Thread(
                    target=lambda: raced.append(
                        api.call("userProfile/upsert", {"userId": "zed", "email": "zed@example.com"})[0]
                    )
                )
                failing.start()
                failing.join(30)
        done = real_write_checkpoint(*args, **kwargs)
        returned.append((args[1].log_seq, done))
        return done

    monkeypatch.setattr(checkpoint, "write_checkpoint", a_failing_write_first)
    progress = api.ok("userScore/ruleProgress", {"gameObjectId": board, "userId": "ann"})["objects"]
    assert raced == [500]
    # The event/send above was answered before this read began: the read must see its 10 points.
    # (state.log_seq, what write_checkpoint returned): the state forgotten (-1), nothing written (None).
    assert [row["score"] for row in progress] == [10], (returned, progress)


def test_bring_up_gives_up_after_its_tries_rather_than_answer_from_tables_lacking_a_write(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    checkpoint_partner(engine, partner.id)
    _polls(api, ("ann", "p1"))
    live = app_client.app.state.live  # type: ignore[attr-defined]
    tries: list[int] = []

    def forgotten_every_time(_: Engine, state: Any, __: int) -> None:
        # A rolled-back write of this process forgets the state before every checkpoint of it.
        tries.append(state.log_seq)
        state.invalidate()

    monkeypatch.setattr(checkpoint, "write_checkpoint", forgotten_every_time)
    with pytest.raises(Unavailable):
        checkpoint.bring_up(engine, live, partner.id)
    assert len(tries) == checkpoint.BRING_UP_TRIES
    # A read of the tables then answers 503 in the API's error shape, to be sent again.
    body = {"gameObjectId": board, "userId": "ann"}
    answer = app_client.post(
        "/api/v1/userScore/ruleProgress", json=body, headers={"Authorization": f"Bearer {partner.ks}"}
    )
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "1"
    assert answer.json()["code"] == "SERVICE_TEMPORARILY_UNAVAILABLE"
    assert answer.json()["objectType"] == "KalturaAPIException"
    monkeypatch.undo()
    checkpoint.bring_up(engine, live, partner.id)
    tables_at, last = _seqs(engine, partner.id)
    assert tables_at == last
