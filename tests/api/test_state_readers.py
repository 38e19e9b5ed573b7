"""Readers of one partner's live state read at once, and each reads it steady: a writer's change waits for the
reads under way, and the reads that follow see it."""

import threading
from typing import Any

from sqlalchemy import Engine

from gameservices.projection.live import LiveState
from gameservices.storage.database import read_transaction
from tests.api.test_event_log import _board, _polls
from tests.conftest import Api

WAIT = 10.0


def _score(state: Any, board: str, user_id: str) -> float | None:
    standing = state.boards[board].standing(user_id)
    return None if standing is None else float(standing.score)


def test_readers_of_one_partner_read_at_once(api: Api, partner: Any, engine: Engine) -> None:
    board, _ = _board(api)
    _polls(api, ("ann", "p1"))
    live: LiveState = api.client.app.state.live  # type: ignore[attr-defined]
    both_inside = threading.Barrier(2, timeout=WAIT)
    scores: list[float | None] = []

    def reader() -> None:
        with read_transaction(engine) as conn, live.reading(conn, partner.id) as state:
            both_inside.wait()  # broken (and the test failed) unless the other reader is inside too
            scores.append(_score(state, board, "ann"))

    with read_transaction(engine) as conn, live.reading(conn, partner.id):
        pass  # loaded: both readers find it current
    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert scores == [10.0, 10.0]


def test_a_writer_waits_for_the_reads_under_way(api: Api, partner: Any, engine: Engine) -> None:
    board, _ = _board(api)
    _polls(api, ("ann", "p1"))
    live: LiveState = api.client.app.state.live  # type: ignore[attr-defined]
    writer = threading.Thread(target=_polls, args=(api, ("ann", "p2")))
    with read_transaction(engine) as conn, live.reading(conn, partner.id) as state:
        before = _score(state, board, "ann")
        writer.start()
        writer.join(0.5)  # its transaction commits; applying it to the state waits for this read
        assert writer.is_alive()
        assert _score(state, board, "ann") == before == 10.0
    writer.join(WAIT)
    assert not writer.is_alive()
    with read_transaction(engine) as conn, live.reading(conn, partner.id) as state:
        assert _score(state, board, "ann") == 20.0
