"""An `event/send` write decides the badges its events complete from the partner's state, read without the state's
lock (the writer turn keeps other writers away). A checkpoint of the same process that finds the tables' checkpoint
among entries a load applied together loads that state again from the tables (`projection.checkpoint._rows_lacking`)
meanwhile. A badge whose other rule a user completed in an entry after the tables' checkpoint must still be recorded
when the write completes its last rule: the decision is the state's as of the log entries before the write."""

import threading
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from gameservices.projection import loading
from gameservices.projection.checkpoint import write_checkpoint
from gameservices.projection.replay import verify
from gameservices.services.scoring import achievements
from gameservices.storage import achievements as achievement_repository
from gameservices.storage.database import read_transaction
from tests.api import reload_races
from tests.api.reload_races import IN_WINDOW, five_answers_loaded_together
from tests.conftest import Api


def _badge(api: Api) -> str:
    rule = {"groupBy": "kuserId", "points": "1", "maxPoints": "1"}
    badge = api.ok(
        "badge/create",
        {
            "name": "A poll and a minute",
            "virtualEventIds": ["ve1"],
            "rules": [
                {
                    **rule,
                    "name": "Poll",
                    "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
                    "type": "countUnique",
                    "metric": "pollId",
                    "goal": "1",
                },
                {
                    **rule,
                    "name": "Watch",
                    "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
                    "type": "sum",
                    "metric": "playTime",
                    "goal": "60",
                },
            ],
        },
    )
    return str(badge["id"])


def _poll(api: Api, user: str) -> None:
    event = {"eventType": "pollAnswered", "userId": user, "pollId": "p1", **IN_WINDOW}
    api.ok("event/send", {"events": [event]})


def test_a_badge_completed_while_a_checkpoint_loads_the_state_again_is_recorded(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite a checkpoint's transaction waits for the writer's to end")
    api = Api(app_client, partner.ks)
    badge = _badge(api)
    late = five_answers_loaded_together(engine, partner.id, lambda user: _poll(api, user))
    state = late.partner(partner.id)

    deciding, tables_loaded, decided = threading.Event(), threading.Event(), threading.Event()
    real_apply_after, real_record = loading.apply_after_checkpoint, achievements.record

    def apply_after_checkpoint(*args: Any, **kwargs: Any) -> Any:
        # The checkpoint's load: the tables are in the state, the entries after their checkpoint not yet.
        if threading.current_thread().name == "checkpoint":
            tables_loaded.set()
            decided.wait(2)
        return real_apply_after(*args, **kwargs)

    def record(*args: Any, **kwargs: Any) -> Any:
        # Only orders the two threads: the writer, scored, decides its badges while the checkpoint loads the state.
        if threading.current_thread().name == "writer":
            deciding.set()
            tables_loaded.wait(2)
        try:
            return real_record(*args, **kwargs)
        finally:
            if threading.current_thread().name == "writer":
                decided.set()

    monkeypatch.setattr(loading, "apply_after_checkpoint", apply_after_checkpoint)
    monkeypatch.setattr(achievements, "record", record)
    # u5 watches a minute: the badge's last rule.
    watch = [{"eventType": "viewPeriod", "userId": "u5", "playTime": 65, **IN_WINDOW}]
    writer, answers = reload_races.writer(late, engine, partner.id, watch)
    checkpointer = threading.Thread(
        target=lambda: write_checkpoint(engine, state, partner.id), name="checkpoint"
    )
    writer.start()
    assert deciding.wait(10)  # scored: the writer is about to decide its badges
    checkpointer.start()
    writer.join(30)
    checkpointer.join(30)
    assert answers and answers[0][0].accepted == 1

    monkeypatch.undo()
    write_checkpoint(engine, state, partner.id)  # what the process's checkpoint thread writes next
    with read_transaction(engine) as conn:
        achieved = sorted(achievement_repository.achieved_badges(conn, partner.id, badge))
        verdict = verify(conn, partner.id)
    assert (achieved, verdict.same) == (["u5"], True), verdict.differences
