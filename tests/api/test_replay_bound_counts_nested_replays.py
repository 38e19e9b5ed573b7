"""The events bound of a replay (`projection.simulate.MAX_EVENTS`, docs/replay.md "Bounds") holds for the whole
call: `userScore/explain` and a period's `userScore/ruleProgress` replay the log again up to each rebuild of the
object, and those events count toward the same bound."""

import time

import pytest

from gameservices.projection import simulate as simulate_module
from tests.api.test_period_close import DAY, daily_board
from tests.api.test_period_progress import three_acts_rule
from tests.api.test_periods import act
from tests.api.test_replay_whatif import STREAM, make_board, send
from tests.conftest import Api


def test_explain_counts_the_events_replayed_again_for_each_rebuild(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    board, _ = make_board(api)
    send(api, STREAM)  # 7 events
    for _ in range(3):
        api.ok("leaderboard/rebuild", {"id": board})
    # The log holds 7 events; the explanation goes through them once, then again up to each of the 3 rebuilds:
    # 28 events replayed in one call.
    monkeypatch.setattr(simulate_module, "MAX_EVENTS", 10)
    status, answer = api.call("userScore/explain", {"gameObjectId": board, "userId": "ann"})
    assert (status, answer.get("code")) == (400, "EXPLAIN_TOO_LARGE"), (status, answer)


def test_period_progress_counts_the_events_replayed_again_for_each_rebuild(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    api.ok("rule/create", three_acts_rule(board["id"]))
    api.ok("event/send", {"events": [act("ann", n, now) for n in range(1, 8)]})  # 7 events
    for _ in range(3):
        api.ok("leaderboard/rebuild", {"id": board["id"]})
    monkeypatch.setattr(simulate_module, "MAX_EVENTS", 10)
    status, answer = api.call(
        "userScore/ruleProgress", {"gameObjectId": board["id"], "userId": "ann", "period": "current"}
    )
    assert (status, answer.get("code")) == (400, "PROGRESS_TOO_LARGE"), (status, answer)
