"""A `visibility.change` entry replayed into a what-if or a rebuild where the user has no standing: it hides or
shows nothing (the row's score is the writer's, not the replay's)."""

from typing import Any

from sqlalchemy import Engine

from gameservices.projection.replay import verify
from gameservices.storage.database import read_transaction
from tests.api import guide_bodies as guide
from tests.conftest import POLL_RULE, Api

IN_WINDOW = {"eventTime": "2025-06-02T10:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID}
HIDE = {
    "userDefaultPolicy": "display",
    "policies": [{"policy": "do_not_display", "matchCriteria": "byEmailDomain", "values": ["hide.com"]}],
}


def _board(api: Api) -> tuple[str, str]:
    board: str = api.ok(
        "leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled", "participationPolicy": HIDE}
    )["id"]
    rule: str = api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})[
        "id"
    ]
    return board, rule


def _poll(api: Api, user: str, poll: str) -> None:
    api.ok(
        "event/send", {"events": [{"eventType": "pollAnswered", "userId": user, "pollId": poll, **IN_WINDOW}]}
    )


def test_simulate_without_the_only_rule_leaves_nobody_scored(api: Api) -> None:
    board, rule = _board(api)
    _poll(api, "ann", "p1")
    api.ok("userProfile/upsert", {"userId": "ann", "email": "ann@hide.com"})  # ann hidden: visibility.change
    answer = api.ok("rule/simulate", {"gameObjectId": board, "removeRuleIds": [rule]})
    # Without its only rule nobody scores on the board: ann's score after is null.
    assert answer["changes"] == [
        {"userId": "ann", "scoreBefore": 10, "scoreAfter": None, "rankBefore": None, "rankAfter": None}
    ], answer


def test_simulate_with_a_window_excluding_the_users_events(api: Api) -> None:
    board, _ = _board(api)
    _poll(api, "ann", "p1")
    api.ok("userProfile/upsert", {"userId": "ann", "email": "ann@hide.com"})
    answer = api.ok("rule/simulate", {"gameObjectId": board, "toTime": "2025-06-01T00:00:00Z"})
    assert answer["eventsReplayed"] == 0
    assert answer["usersAffected"] == 1, answer  # ann's 10 points came from an event outside the window


def test_rebuild_after_a_rule_change_does_not_carry_the_old_score(
    api: Api, engine: Engine, partner: Any
) -> None:
    board, rule = _board(api)
    _poll(api, "ann", "p1")  # 10 points under the rule as it was
    api.ok("userProfile/upsert", {"userId": "ann", "email": "ann@hide.com"})  # hidden: row carries score 10
    # The rule now scores another event type: under the current rules ann's poll is worth nothing.
    api.ok(
        "rule/update",
        {"id": rule, "conditions": [{"fact": "eventType", "operator": "equal", "value": "other"}]},
    )
    answer = api.ok("leaderboard/rebuild", {"id": board})
    assert answer["usersAffected"] == 1, (
        answer
    )  # a fresh partner with these rules would hold no score for ann
    status, got = api.call("userScore/get", {"gameObjectId": board, "userId": "ann"})
    assert status != 200 or got.get("score") in (None, 0), got
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same
