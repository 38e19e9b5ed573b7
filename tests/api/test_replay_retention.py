"""A log trimmed whole by retention (every entry older than the retention and checkpointed): replay, rebuild and
what-if know they lack its start instead of taking it for an empty history."""

import time
from typing import Any

import pytest
from sqlalchemy import Engine

from gameservices.domain.timefmt import now_ms
from gameservices.projection.checkpoint import checkpoint_partner
from gameservices.projection.replay import NotReplayable, verify
from gameservices.storage import event_log
from gameservices.storage.database import read_transaction, write_transaction
from tests.api import guide_bodies as guide
from tests.conftest import POLL_RULE, Api

IN_WINDOW = {"eventTime": "2025-06-02T10:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID}


def _scored_board(api: Api) -> str:
    board: str = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    api.ok(
        "event/send",
        {"events": [{"eventType": "pollAnswered", "userId": u, "pollId": "p1", **IN_WINDOW} for u in "ab"]},
    )
    return board


def _trim_everything(engine: Engine, partner_id: int) -> None:
    # What the scheduler's LogRetention does once every entry is older than the retention and checkpointed.
    checkpoint_partner(engine, partner_id)
    time.sleep(0.01)
    with write_transaction(engine) as conn:
        while event_log.delete_older_than(conn, now_ms() + 1, limit=5_000):
            pass
        assert event_log.count_entries(conn, partner_id) == 0
        assert event_log.last_seq(conn, partner_id) > 0


def test_verify_of_a_wholly_trimmed_log_is_not_replayable(api: Api, engine: Engine, partner: Any) -> None:
    _scored_board(api)
    _trim_everything(engine, partner.id)
    with read_transaction(engine) as conn, pytest.raises(NotReplayable):  # as a log not starting at entry 1
        verify(conn, partner.id)


def test_rebuild_of_a_wholly_trimmed_log_is_refused_and_keeps_scores(
    api: Api, engine: Engine, partner: Any
) -> None:
    board = _scored_board(api)
    before = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    assert len(before) == 2
    _trim_everything(engine, partner.id)
    status, answer = api.call("leaderboard/rebuild", {"id": board})
    after = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    assert (status, answer.get("code")) == (400, "LOG_NOT_COMPLETE"), (status, answer, after)
    assert after == before
