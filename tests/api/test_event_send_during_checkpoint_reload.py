"""An `event/send` write evaluates its events against the partner's state while holding only the partner's writer
turn; a checkpoint of the same process that finds the tables' checkpoint among entries a load applied together
loads that state again from the tables (`projection.checkpoint._rows_lacking`) without the writer turn. The write
must still be scored against the state as of the log entries before it: never against the tables' older one."""

import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from gameservices.projection import loading
from gameservices.projection.checkpoint import write_checkpoint
from gameservices.projection.replay import verify
from gameservices.services.scoring import event as event_service
from gameservices.storage.database import read_transaction
from tests.api import reload_races
from tests.api.reload_races import IN_WINDOW, five_answers_loaded_together
from tests.api.test_checkpoint import _board, _ledger_total, _polls, _stored_scores
from tests.conftest import Api


def test_a_write_is_scored_against_the_log_while_a_checkpoint_loads_the_state_again(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite a checkpoint's transaction waits for the writer's to end")
    api = Api(app_client, partner.ks)
    board = _board(api)
    late = five_answers_loaded_together(engine, partner.id, lambda user: _polls(api, (user, "p1")))
    state = late.partner(partner.id)

    tables_loaded, writer_evaluated, load_done = threading.Event(), threading.Event(), threading.Event()
    real_apply_after, real_evaluate = loading.apply_after_checkpoint, event_service.evaluate

    def apply_after_checkpoint(*args: Any, **kwargs: Any) -> Any:
        # The checkpoint's load: the tables are in the state, the entries after their checkpoint not yet.
        if threading.current_thread().name == "checkpoint":
            tables_loaded.set()
            writer_evaluated.wait(2)
        try:
            return real_apply_after(*args, **kwargs)
        finally:
            if threading.current_thread().name == "checkpoint":
                load_done.set()

    def evaluate(*args: Any, **kwargs: Any) -> Any:
        # Only orders the two threads: the writer evaluates while the checkpoint loads the state.
        tables_loaded.wait(2)
        try:
            return real_evaluate(*args, **kwargs)
        finally:
            writer_evaluated.set()
            load_done.wait(2)

    monkeypatch.setattr(loading, "apply_after_checkpoint", apply_after_checkpoint)
    monkeypatch.setattr(event_service, "evaluate", evaluate)
    # u5 answers p1 again: a countUnique rule gives nothing for a value already counted.
    repeat = [{"eventType": "pollAnswered", "userId": "u5", "pollId": "p1", **IN_WINDOW}]
    writer, answers = reload_races.writer(late, engine, partner.id, repeat)
    checkpointer = threading.Thread(
        target=lambda: write_checkpoint(engine, state, partner.id), name="checkpoint"
    )
    writer.start()
    time.sleep(0.1)  # the writer holds its turn and waits in the engine
    checkpointer.start()
    writer.join(30)
    checkpointer.join(30)
    assert answers and answers[0][0].accepted == 1

    expected = {f"u{n}": 10.0 for n in range(1, 6)}
    with read_transaction(engine) as conn, late.reading(conn, partner.id) as current:
        served = {user: s.score for user, s in current.boards[board].standings()}
    write_checkpoint(engine, state, partner.id)  # what the process's checkpoint thread writes next
    with read_transaction(engine) as conn:
        same = verify(conn, partner.id).same
    assert (served, _stored_scores(engine, partner.id), _ledger_total(engine, partner.id), same) == (
        expected,
        expected,
        50.0,
        True,
    )


def test_a_write_whose_state_is_loaded_again_at_every_try_is_refused_whole(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    _polls(api, ("u1", "p1"))
    live = app_client.app.state.live  # type: ignore[attr-defined]
    real_evaluate = event_service.evaluate
    tries: list[int] = []

    def evaluate_while_forgotten(*args: Any, **kwargs: Any) -> Any:
        # Another thread forgets the state while this writer reads it, every time.
        tries.append(1)
        done = real_evaluate(*args, **kwargs)
        live.partner(partner.id).invalidate()
        return done

    monkeypatch.setattr(event_service, "evaluate", evaluate_while_forgotten)
    events = [{"eventType": "pollAnswered", "userId": "u2", "pollId": "p1", **IN_WINDOW}]
    status, answer = api.call("event/send", {"events": events})
    assert (status, answer["code"]) == (503, "SERVICE_TEMPORARILY_UNAVAILABLE")
    assert len(tries) == event_service.SCORE_TRIES
    monkeypatch.undo()
    # Nothing of it was written: sent again, it scores once.
    _polls(api, ("u2", "p1"))
    top = {
        row["userId"]: row["score"] for row in api.ok("userScore/list", {"gameObjectId": board})["objects"]
    }
    assert top == {"u1": 10, "u2": 10}
