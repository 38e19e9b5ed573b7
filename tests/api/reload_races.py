"""Shared steps of the tests where a writer scores while the partner's state is loaded from the tables: a process
whose state holds five answers applied together, with the tables' checkpoint written among them by another
process (the straddled case a checkpoint must load apart), and a write sent through that state in a thread."""

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from gameservices.projection.checkpoint import checkpoint_partner, write_checkpoint
from gameservices.projection.live import LiveState
from gameservices.services.scoring import event as event_service
from gameservices.storage.database import read_transaction, write_transaction

IN_WINDOW = {"virtualEventId": "ve1", "eventTime": "2025-06-01T10:00:00Z"}


def five_answers_loaded_together(engine: Engine, partner_id: int, answer: Callable[[str], None]) -> LiveState:
    """Users u1-u5 answer (by `answer`); a process's state (returned, checkpoints on) holds the five answers applied
    together by one load, and the tables' checkpoint lies at the third, written by another process."""
    checkpoint_partner(engine, partner_id)
    for user in ("u1", "u2", "u3"):
        answer(user)
    early, late = LiveState(), LiveState(checkpoints=True)
    with read_transaction(engine) as conn, early.reading(conn, partner_id):
        pass  # at the third answer
    for user in ("u4", "u5"):
        answer(user)
    with read_transaction(engine) as conn, late.reading(conn, partner_id):
        pass  # the five answers applied together
    assert write_checkpoint(engine, early.partner(partner_id), partner_id) is not None  # among the five
    return late


def writer(
    live: LiveState, engine: Engine, partner_id: int, events: list[dict[str, Any]]
) -> tuple[Any, list[Any]]:
    """A thread named "writer" (not started) sending `events` through the process's state, and the list its
    answer goes to."""
    answers: list[Any] = []

    def write() -> None:
        with live.writing(partner_id) as held, write_transaction(engine) as conn:
            answers.append(
                event_service.send_calls(
                    conn, state=held, partner_id=partner_id, calls=[(events, time.time())]
                )
            )

    return threading.Thread(target=write, name="writer"), answers
