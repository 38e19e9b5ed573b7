"""An integer userId (or kuserId) names the user its decimal text names, and that text is held to the length a text
id is held to: an event naming a longer one is refused, never accepted into the log, where a user id no table can
store would keep the partner's derived tables from ever being written again."""

from typing import Any

import pytest
from sqlalchemy import Engine

from gameservices.projection.checkpoint import checkpoint_partner
from tests.conftest import POLL_RULE, Api, Partner

IN_WINDOW = {"virtualEventId": "ve1", "eventTime": "2025-06-01T10:00:00Z"}
# 301 decimal digits: longer than the 256 characters a user id may have.
LONG_INTEGER = 10**300


def _board(api: Api) -> str:
    board: str = api.ok(
        "leaderboard/create",
        {
            "name": "Long ids",
            "status": "enabled",
            "virtualEventIds": ["ve1"],
            "startDate": "2025-01-01T00:00:00Z",
            "endDate": "2099-01-01T00:00:00Z",
        },
    )["id"]
    api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    return board


def _poll(user: Any, poll: str = "p1", name: str = "userId") -> dict[str, Any]:
    return {"eventType": "pollAnswered", name: user, "pollId": poll, **IN_WINDOW}


@pytest.mark.parametrize("name", ["userId", "kuserId"])
def test_an_integer_user_id_longer_than_a_text_one_may_be_is_refused(api: Api, name: str) -> None:
    _board(api)
    text_answer = api.ok("event/send", {"events": [_poll("1" * 301, name=name)]})
    assert text_answer["accepted"] == 0 and len(text_answer["rejected"]) == 1
    answer = api.ok("event/send", {"events": [_poll(LONG_INTEGER, name=name)]})
    assert answer["accepted"] == 0, answer
    assert [item["index"] for item in answer["rejected"]] == [0]


def test_an_event_with_a_long_integer_user_id_leaves_the_tables_writable(
    api: Api, engine: Engine, partner: Partner
) -> None:
    board = _board(api)
    api.ok("event/send", {"events": [_poll(LONG_INTEGER), _poll("ann")]})
    # Whatever the answer was, the partner's later writes and reads of its derived tables still work.
    checkpoint_partner(engine, partner.id)
    status, answer = api.call(
        "rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board}
    )
    assert status == 200, answer
    status, answer = api.call("userScore/ruleProgress", {"gameObjectId": board, "userId": "ann"})
    assert status == 200, answer
