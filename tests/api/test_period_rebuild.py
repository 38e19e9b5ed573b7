"""Per-period totals of a recurring leaderboard survive `leaderboard/rebuild`: the rebuild recomputes them with the
all-time standings, writes them and carries them in its log entry, so every process and a replay agree
(docs/periods.md)."""

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.projection.replay import verify
from gameservices.storage.database import read_transaction
from tests.api.test_period_close import DAY, daily_board
from tests.api.test_periods import act, scores
from tests.api.test_replay_whatif import second
from tests.conftest import Api, Partner

__all__ = ["second"]  # the fixture: a second process on the same database


def every_period(api: Api, board: dict[str, Any], index: int) -> dict[object, dict[str, float]]:
    return {period: scores(api, board["id"], period) for period in ("previous", "current", "all", index)}


def test_rebuild_keeps_the_per_period_totals(
    api: Api, second: Api, app_client: TestClient, partner: Partner, engine: Engine
) -> None:
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    index = board["currentPeriod"]["index"]
    api.ok("event/send", {"events": [act("ann", 5, now), act("bob", 9, now), act("cid", 2, now - 2 * DAY)]})
    api.ok("leaderboard/closePeriod", {"id": board["id"]})
    api.ok("event/send", {"events": [act("ann", 4, now), act("cid", 3, now)]})
    before = every_period(api, board, index - 2)
    assert before["previous"] == {"bob": 9, "ann": 5}
    assert before["current"] == {"ann": 4, "cid": 3}
    assert before[index - 2] == {"cid": 2}
    assert every_period(second, board, index - 2) == before  # the second process has loaded the partner
    api.ok("leaderboard/rebuild", {"id": board["id"]})
    assert every_period(api, board, index - 2) == before
    assert every_period(second, board, index - 2) == before  # caught up through the rebuild's log entry
    got = api.ok("userScore/get", {"gameObjectId": board["id"], "userId": "ann", "period": "previous"})
    assert (got["score"], got["rank"]) == (5, 2)
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert verdict.same, verdict.differences
    # Scoring goes on from the rebuilt periods.
    api.ok("event/send", {"events": [act("bob", 1, now)]})
    assert scores(api, board["id"]) == {"ann": 4, "cid": 3, "bob": 1}
    assert scores(api, board["id"], "all") == {"bob": 10, "ann": 9, "cid": 5}
