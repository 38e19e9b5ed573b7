"""A profile change applies its own log entries to the partner's live state within its transaction (its
``userProfile`` event scored, then the visibility refresh reads the state): until the transaction has committed,
or rolled back and the state been forgotten, no reader sees those uncommitted scores."""

import threading
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from gameservices.projection.live import LiveState
from gameservices.projection.replay import verify
from gameservices.services.scoring import visibility
from gameservices.storage.database import read_transaction
from tests.api.test_user_profile import title_board
from tests.conftest import Api

WAIT = 30.0


def _score(state: Any, board: str, user_id: str) -> float | None:
    found = state.boards.get(board)
    standing = None if found is None else found.standing(user_id)
    return None if standing is None else float(standing.score)


def test_no_reader_sees_the_scores_of_a_profile_change_that_rolls_back(
    app_client: TestClient, engine: Engine, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(app_client, partner.ks)
    board = title_board(api)
    api.ok("userProfile/create", {"userId": "ann", "profileData": {"title": "CTO"}})
    api.ok("userProfile/create", {"userId": "bob", "profileData": {"title": "Engineer"}})
    live: LiveState = app_client.app.state.live  # type: ignore[attr-defined]
    seen: dict[str, float | None] = {}
    reader_done = threading.Event()

    def read_as_a_request() -> None:
        with read_transaction(engine) as conn, live.reading(conn, partner.id) as state:
            seen["reader"] = _score(state, board, "bob")
        reader_done.set()

    def read_without_waiting() -> None:
        # What a polled read does (`LiveState.cached_page`): it reads the state unless a writer is changing it.
        state = live.partner(partner.id)
        if state.lock.acquire_shared(blocking=False):
            try:
                seen["probe"] = _score(state, board, "bob")
            finally:
                state.lock.release_shared()

    reader = threading.Thread(target=read_as_a_request)

    def failing_save(*_: Any) -> None:
        # Within the transaction, after bob's userProfile event was scored and applied to the state.
        probe = threading.Thread(target=read_without_waiting)
        probe.start()
        probe.join(WAIT)
        reader.start()
        raise RuntimeError("the connection was lost")

    monkeypatch.setattr(visibility, "_save", failing_save)
    status, _ = api.call("userProfile/update", {"userId": "bob", "profileData": {"title": "CTO"}})
    monkeypatch.undo()
    assert status == 500
    reader.join(WAIT)
    assert reader_done.is_set()
    # The probe found the state held (or, had it got in, the score bob had before the change: none).
    assert seen.get("probe") is None
    assert seen["reader"] is None
    assert api.ok("userScore/list", {"gameObjectId": board})["objects"][0]["userId"] == "ann"
    assert len(api.ok("userScore/list", {"gameObjectId": board})["objects"]) == 1
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same


def test_a_profile_change_is_seen_by_the_read_after_its_answer(
    app_client: TestClient, engine: Engine, partner: Any
) -> None:
    api = Api(app_client, partner.ks)
    board = title_board(api)
    live: LiveState = app_client.app.state.live  # type: ignore[attr-defined]
    api.ok("userProfile/upsert", {"userId": "bob", "profileData": {"title": "CTO"}})
    state = live.partner(partner.id)
    # The write's hold of the state ended with its answer: a reader gets in at once, and sees the change.
    assert state.lock.acquire_shared(blocking=False)
    try:
        assert _score(state, board, "bob") == 100.0
    finally:
        state.lock.release_shared()
    scores = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    assert [(row["userId"], row["score"]) for row in scores] == [("bob", 100)]
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same
