"""A read that finds the partner's state forgotten loads it again without the writer turn: first the tables, then
the log entries after their checkpoint. An `event/send` write that begins scoring while that load is still
applying the entries after the checkpoint must not score against the tables' older buckets: its events are scored
against the state as of every log entry before its own, whenever its evaluation begins."""

import threading
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


def test_a_write_that_begins_scoring_while_a_reload_applies_the_log_is_scored_against_the_whole_log(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(app_client, partner.ks)
    board = _board(api)
    late = five_answers_loaded_together(engine, partner.id, lambda user: _polls(api, (user, "p1")))
    state = late.partner(partner.id)

    tables_loaded, writer_evaluated, load_done = threading.Event(), threading.Event(), threading.Event()
    real_apply_after = loading.apply_after_checkpoint
    real_without_duplicates, real_evaluate = event_service._without_duplicates, event_service.evaluate

    def apply_after_checkpoint(*args: Any, **kwargs: Any) -> Any:
        # The reader's load: the tables are in the state, the entries after their checkpoint not yet.
        if threading.current_thread().name == "reader":
            tables_loaded.set()
            writer_evaluated.wait(2)
        try:
            return real_apply_after(*args, **kwargs)
        finally:
            if threading.current_thread().name == "reader":
                load_done.set()

    def read_after_forgetting() -> None:
        state.invalidate()  # (as a failed catch-up leaves it)
        with read_transaction(engine) as conn, late.reading(conn, partner.id):
            pass

    reader = threading.Thread(target=read_after_forgetting, name="reader")

    def without_duplicates(*args: Any, **kwargs: Any) -> Any:
        # Only orders the two threads: the writer looks its event ids up while the reader's load begins.
        reader.start()
        tables_loaded.wait(2)
        return real_without_duplicates(*args, **kwargs)

    def evaluate(*args: Any, **kwargs: Any) -> Any:
        try:
            return real_evaluate(*args, **kwargs)
        finally:
            if threading.current_thread().name == "writer":
                writer_evaluated.set()
                load_done.wait(2)

    monkeypatch.setattr(loading, "apply_after_checkpoint", apply_after_checkpoint)
    monkeypatch.setattr(event_service, "_without_duplicates", without_duplicates)
    monkeypatch.setattr(event_service, "evaluate", evaluate)
    # u5 answers p1 again: a countUnique rule gives nothing for a value already counted.
    repeat = [{"eventType": "pollAnswered", "userId": "u5", "pollId": "p1", **IN_WINDOW}]
    writer, answers = reload_races.writer(late, engine, partner.id, repeat)
    writer.start()
    writer.join(30)
    reader.join(30)
    monkeypatch.undo()
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
