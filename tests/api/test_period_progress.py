"""`userScore/ruleProgress` in a period of a recurring leaderboard: each rule's progress, points and completion in
that period, worked out from the event log; over every period they add up to the all-time answer (docs/periods.md)."""

import time
from typing import Any

from fastapi.testclient import TestClient

from gameservices.domain.timefmt import format_ms
from tests.api import guide_bodies as guide
from tests.api.test_period_close import DAY, daily_board
from tests.api.test_periods import act, ms, points_rule
from tests.conftest import Api

Progress = dict[str, tuple[float, float, bool]]


def progress(api: Api, board_id: str, user_id: str, period: object = None) -> Progress:
    body: dict[str, Any] = {"gameObjectId": board_id, "userId": user_id}
    if period is not None:
        body["period"] = period
    answer = api.ok("userScore/ruleProgress", body)
    assert answer["totalCount"] == len(answer["objects"]) and answer["userId"] == user_id
    return {item["name"]: (item["progress"], item["score"], item["completed"]) for item in answer["objects"]}


def three_acts_rule(board_id: str) -> dict[str, Any]:
    """10 points for every third `act` event of a user."""
    return {
        **points_rule(board_id),
        "name": "Three acts",
        "type": "count",
        "metric": "points",
        "goal": "3",
        "points": "10",
    }


def recurring_board_with_history(api: Api) -> tuple[dict[str, Any], int, int]:
    """A daily board: ann acts 2 days ago (a period that never closes), in the period then closed, and in the
    current one. Answers the board, the index of the closed period and `now` (ms)."""
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    api.ok("rule/create", three_acts_rule(board["id"]))
    index = board["currentPeriod"]["index"]
    api.ok("event/send", {"events": [act("ann", 2, now - 2 * DAY), act("ann", 3, now), act("bob", 1, now)]})
    api.ok("event/send", {"events": [act("ann", 4, now), act("ann", 5, now - 2 * DAY)]})
    api.ok("leaderboard/closePeriod", {"id": board["id"]})
    api.ok("event/send", {"events": [act("ann", 7, now), act("ann", 1, now - 2 * DAY)]})
    return board, index, now


def test_rule_progress_in_each_period_adds_up_to_all_time(api: Api) -> None:
    board, index, _ = recurring_board_with_history(api)
    old = progress(api, board["id"], "ann", index - 2)
    closed = progress(api, board["id"], "ann", index)
    # ann's acts in log order: 2 (old), 3, 4, 5 (old), the close, 7 (current), 1 (old). Points completes at
    # the first act (old); Three acts at the third (closed) and gives 10 then and at the sixth (old).
    assert old == {"Points": (8, 8, True), "Three acts": (3, 10, False)}
    assert closed == {"Points": (7, 7, False), "Three acts": (2, 10, True)}
    # The closed period is the previous one; the events of its time sent after the close count in the current.
    assert progress(api, board["id"], "ann", "previous") == closed
    assert progress(api, board["id"], "ann", "current") == {
        "Points": (7, 7, False),
        "Three acts": (1, 0, False),
    }
    assert progress(api, board["id"], "ann", index + 1) == progress(api, board["id"], "ann", "current")
    all_time = progress(api, board["id"], "ann")
    assert all_time == progress(api, board["id"], "ann", "all")
    assert all_time == {"Points": (22, 22, True), "Three acts": (6, 20, True)}
    # A period nobody acted in, and a user without events: every rule, nothing done.
    assert progress(api, board["id"], "ann", index - 1) == {
        "Points": (0, 0, False),
        "Three acts": (0, 0, False),
    }
    assert progress(api, board["id"], "cid", "current") == {
        "Points": (0, 0, False),
        "Three acts": (0, 0, False),
    }


def test_rule_progress_per_period_follows_rebuilds_clears_and_calendar_changes(api: Api) -> None:
    board, index, now = recurring_board_with_history(api)
    before = {period: progress(api, board["id"], "ann", period) for period in (index - 2, index, index + 1)}
    api.ok("leaderboard/rebuild", {"id": board["id"]})
    assert {period: progress(api, board["id"], "ann", period) for period in before} == before
    api.ok("event/send", {"events": [act("ann", 1, now)]})
    assert progress(api, board["id"], "ann", "current")["Three acts"] == (2, 0, False)
    api.ok("userScore/clear", {"gameObjectId": board["id"]})
    api.ok("event/send", {"events": [act("ann", 6, now)]})
    assert progress(api, board["id"], "ann", index - 2) == {
        "Points": (0, 0, False),
        "Three acts": (0, 0, False),
    }
    assert progress(api, board["id"], "ann", "current") == {
        "Points": (6, 6, True),
        "Three acts": (1, 0, False),
    }
    # A new calendar starts the periods afresh: the old periods' progress goes, the all-time progress stays.
    anchor = format_ms(ms(board["recurrence"]["anchor"] + "Z") + 3_600_000)[:19]
    api.ok("leaderboard/update", {"id": board["id"], "recurrence": {**board["recurrence"], "anchor": anchor}})
    for period in range(index - 2, index + 2):
        assert progress(api, board["id"], "ann", period) == {
            "Points": (0, 0, False),
            "Three acts": (0, 0, False),
        }
    assert progress(api, board["id"], "ann") == {"Points": (6, 6, True), "Three acts": (1, 0, False)}


def test_rule_progress_period_is_checked_as_user_score_checks_it(api: Api) -> None:
    plain = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})
    api.ok("rule/create", points_rule(plain["id"]))
    all_time = progress(api, plain["id"], "ann")
    for period in ("current", "all", 0):
        assert progress(api, plain["id"], "ann", period) == all_time
    for period in ("previous", 3):
        body = {"gameObjectId": plain["id"], "userId": "ann", "period": period}
        status, error = api.call("userScore/ruleProgress", body)
        assert status == 400 and error["args"]["PARAM_NAME"] == "period"
        assert (status, error) == api.call("userScore/get", body)
    for period in ("last", -1, 100_000_001, 1.5, True):
        body = {"gameObjectId": plain["id"], "userId": "ann", "period": period}
        status, error = api.call("userScore/ruleProgress", body)
        assert status == 400 and error["objectType"] == "KalturaAPIException", error
        got_status, got_error = api.call("userScore/get", body)
        assert (got_status, got_error["code"]) == (status, error["code"])


def test_rule_progress_of_another_partners_leaderboard_is_not_found(
    api: Api, app_client: TestClient, new_partner: Any
) -> None:
    board, index, _ = recurring_board_with_history(api)
    other = Api(app_client, new_partner().ks)
    status, error = other.call(
        "userScore/ruleProgress", {"gameObjectId": board["id"], "userId": "ann", "period": index}
    )
    assert status == 404 and error["code"] == "OBJECT_NOT_FOUND"


def test_count_unique_progress_counts_the_values_first_seen_in_the_period(api: Api) -> None:
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    rule = {
        **points_rule(board["id"]),
        "name": "Topics",
        "type": "countUnique",
        "metric": "topic",
        "goal": "3",
    }
    api.ok("rule/create", rule)
    index = board["currentPeriod"]["index"]

    def topic(at: int, name: str) -> dict[str, Any]:
        return {**act("ann", 1, at), "topic": name}

    api.ok("event/send", {"events": [topic(now - DAY, "x"), topic(now, "x"), topic(now - DAY, "y")]})
    api.ok("event/send", {"events": [topic(now, "z"), topic(now, "y"), topic(now - DAY, "w")]})
    # In log order the new values are x, y (yesterday), z (today: the third, the goal), w (yesterday).
    assert progress(api, board["id"], "ann", index - 1)["Topics"] == (3, 0, False)
    assert progress(api, board["id"], "ann", index)["Topics"] == (1, 1, True)
    assert progress(api, board["id"], "ann")["Topics"] == (4, 1, True)


def test_progress_from_other_users_events_counts_in_their_periods(api: Api) -> None:
    # A rule scoring the author of what was liked: bob's and cid's likes move ann's buckets.
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    likes = {**points_rule(board["id"]), "name": "Liked", "type": "count", "userIdOverride": "authorId"}
    api.ok("rule/create", likes)
    index = board["currentPeriod"]["index"]

    def like(user_id: str, at: int) -> dict[str, Any]:
        return {**act(user_id, 1, at), "authorId": "ann"}

    api.ok(
        "event/send",
        {"events": [like("bob", now), like("cid", now - DAY), like("bob", now - DAY), act("ann", 2, now)]},
    )
    assert progress(api, board["id"], "ann", index - 1)["Liked"] == (2, 2, False)
    assert progress(api, board["id"], "ann", index)["Liked"] == (1, 1, True)  # bob's first like completes it
    assert progress(api, board["id"], "ann")["Liked"] == (3, 3, True)  # ann's own act names no author
