"""Closing periods of recurring leaderboards: `leaderboard/closePeriod`, the scheduler's closes at the end plus
the grace, leaderboardPeriodEnd rewards, and the event log (replay equals the tables, periods add up to the
all-time total) — docs/periods.md."""

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, update

from gameservices import feed
from gameservices.domain.timefmt import format_ms
from gameservices.errors import ValidationFailed
from gameservices.projection.entries import PERIOD_CLOSE
from gameservices.projection.live import LiveState
from gameservices.projection.replay import verify
from gameservices.services.periods import close as period_close
from gameservices.services.periods.progress import PeriodProgress
from gameservices.storage import event_log
from gameservices.storage import periods as period_repository
from gameservices.storage.database import read_transaction, write_transaction
from gameservices.storage.schema import leaderboard_periods
from tests.api import guide_bodies as guide
from tests.api.test_periods import act, ms, points_rule, scores
from tests.api.v3_client import V3
from tests.conftest import Api, Partner

DAY = 86_400_000


def daily_board(api: Api, *, anchor_ms: int, grace: int = 60) -> dict[str, Any]:
    """A daily leaderboard in UTC anchored at `anchor_ms`, running from a year ago to a year ahead."""
    now = int(time.time() * 1000)
    body = guide.leaderboard_4_2()
    body.update(
        status="enabled",
        startDate=format_ms(now - 365 * DAY),
        endDate=format_ms(now + 365 * DAY),
        recurrence={
            "unit": "day",
            "interval": 1,
            "anchor": format_ms(anchor_ms)[:19],
            "timezone": "UTC",
            "graceSeconds": grace,
        },
    )
    board: dict[str, Any] = api.ok("leaderboard/create", body)
    api.ok("rule/create", points_rule(board["id"]))
    return board


def reward_rules(api: Api, board_id: str) -> tuple[str, str]:
    """A badge for the first two of each period, and a leaderboard counting each user's period ends."""
    badge = api.ok(
        "badge/create",
        {
            **guide.badge_7_1(),
            "rules": [
                {
                    "name": "Podium",
                    "conditions": [
                        {"fact": "eventType", "operator": "equal", "value": "leaderboardPeriodEnd"},
                        {"fact": "gameObjectId", "operator": "equal", "value": board_id},
                        {"fact": "rank", "operator": "lessThan", "value": 3},
                    ],
                    "type": "count",
                    "metric": "rank",
                    "groupBy": "kuserId",
                    "goal": "1",
                }
            ],
        },
    )
    wide = {"startDate": "2000-01-01T00:00:00Z", "endDate": "2100-01-01T00:00:00Z"}
    tally = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled", **wide})
    api.ok(
        "rule/create",
        {
            **points_rule(tally["id"]),
            "name": "Period ends",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "leaderboardPeriodEnd"}],
            "type": "count",
        },
    )
    return badge["id"], tally["id"]


def close_every_due(engine: Engine, live: LiveState, *, now: int) -> None:
    """Close every period end due by `now`, as the scheduler's job does: batch after batch while one comes full.
    The database is shared with the worker's other tests, whose due ends (earliest first) can fill a batch."""
    while period_close.close_due(engine, live, now=now, limit=100) >= 100:
        pass


def closed_indexes(engine: Engine, partner: Partner, board_id: str) -> list[int]:
    with read_transaction(engine) as conn:
        found = period_repository.closed_periods(conn, partner.id, board_id)
    return [period.index for period in found.get(board_id, [])]


def achieved(api: Api, badge_id: str) -> set[str]:
    listed = api.ok("userBadge/list", {"gameObjectId": badge_id, "statusEqual": "ACHIEVED"})
    return {item["userId"] for item in listed["objects"]}


def test_close_period_ranks_rewards_and_starts_the_next_period(
    api: Api, app_client: TestClient, partner: Partner
) -> None:
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    current = board["currentPeriod"]
    index = current["index"]
    badge, tally = reward_rules(api, board["id"])
    api.ok("event/send", {"events": [act("ann", 5, now), act("bob", 9, now), act("cid", 1, now)]})
    closed = api.ok("leaderboard/closePeriod", {"id": board["id"]})
    assert closed["index"] == index and closed["startsAt"] == current["startsAt"]
    assert closed["top"] == [
        {"rank": 1, "userId": "bob", "score": 9},
        {"rank": 2, "userId": "ann", "score": 5},
        {"rank": 3, "userId": "cid", "score": 1},
    ]
    assert achieved(api, badge) == {"ann", "bob"}
    with read_transaction(app_client.app.state.engine) as conn:  # type: ignore[attr-defined]
        found = feed.read(
            conn, partner.id, after=None, limit=100, types=frozenset({"leaderboard.periodClosed"})
        )
    assert [(change.type, change.data) for change in found] == [
        (
            "leaderboard.periodClosed",
            {"gameObjectId": board["id"], "periodIndex": index, "top": closed["top"]},
        )
    ]
    assert scores(api, tally, "all") == {"ann": 1, "bob": 1, "cid": 1}
    after = api.ok("leaderboard/get", {"id": board["id"]})["currentPeriod"]
    assert after["index"] == index + 1 and after["startsAt"] == closed["endsAt"]
    assert after["endsAt"] == current["endsAt"]  # ends where the closed one would have
    # An event whose period is closed counts in the current one; the closed period stays as it was.
    api.ok("event/send", {"events": [act("ann", 100, now)]})
    assert scores(api, board["id"], index) == {"bob": 9, "ann": 5, "cid": 1}
    assert scores(api, board["id"]) == {"ann": 100}
    assert scores(api, board["id"], "previous") == {"bob": 9, "ann": 5, "cid": 1}
    assert scores(api, board["id"], "all") == {"ann": 105, "bob": 9, "cid": 1}


def test_scheduled_close_waits_for_the_grace(api: Api, app_client: TestClient, partner: Partner) -> None:
    engine, live = app_client.app.state.engine, app_client.app.state.live  # type: ignore[attr-defined]
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 60_000, grace=120)
    index = board["currentPeriod"]["index"]
    ends = ms(board["currentPeriod"]["endsAt"])
    api.ok("event/send", {"events": [act("ann", 1, ends - 1), act("bob", 2, ends)]})
    close_every_due(engine, live, now=ends + 119_999)
    assert closed_indexes(engine, partner, board["id"]) == []
    api.ok("event/send", {"events": [act("cid", 4, ends - 1000)]})  # late, within the grace: the old period
    assert scores(api, board["id"], index) == {"ann": 1, "cid": 4}
    assert scores(api, board["id"], index + 1) == {"bob": 2}
    close_every_due(engine, live, now=ends + 120_000)
    assert closed_indexes(engine, partner, board["id"]) == [index]
    api.ok("event/send", {"events": [act("dan", 8, ends - 1000)]})  # later still: the period has closed
    assert scores(api, board["id"], index) == {"ann": 1, "cid": 4}
    assert scores(api, board["id"], index + 1) == {"dan": 8, "bob": 2}
    # Closed once: the next look finds nothing more due for this leaderboard.
    close_every_due(engine, live, now=ends + 120_000)
    assert closed_indexes(engine, partner, board["id"]) == [index]
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same


def test_close_period_refusals(api: Api, new_partner: Any, app_client: TestClient) -> None:
    plain = api.ok("leaderboard/create", guide.leaderboard_4_2())
    status, error = api.call("leaderboard/closePeriod", {"id": plain["id"]})
    assert status == 400 and error["args"]["PARAM_NAME"] == "id"
    status, error = api.call("leaderboard/closePeriod", {"id": "0123456789abcdef01234567"})
    assert status == 404
    badge = api.ok("badge/create", guide.badge_7_1())
    status, error = api.call("leaderboard/closePeriod", {"id": badge["id"]})
    assert status == 404
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - DAY)
    other = Api(app_client, new_partner().ks)
    status, error = other.call("leaderboard/closePeriod", {"id": board["id"]})
    assert status == 404 and error["code"] == "OBJECT_NOT_FOUND"


def test_closing_the_first_period_before_its_anchor_ends_it_no_earlier_than_it_starts(
    api: Api, engine: Engine, partner: Partner
) -> None:
    # Period 0 holds everything before an anchor still to come; closed now, it ends now, and starts no later.
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now + 3 * DAY)
    api.ok("event/send", {"events": [act("ann", 5, now)]})
    first = api.ok("leaderboard/closePeriod", {"id": board["id"]})
    assert first["index"] == 0 and first["startsAt"] <= first["endsAt"]
    api.ok("event/send", {"events": [act("bob", 2, int(time.time() * 1000))]})
    second = api.ok("leaderboard/closePeriod", {"id": board["id"]})
    assert second["index"] == 1 and second["startsAt"] == first["endsAt"] <= second["endsAt"]
    assert second["top"] == [{"rank": 1, "userId": "bob", "score": 2}]
    with read_transaction(engine) as conn:
        closes = period_repository.closed_periods(conn, partner.id, board["id"])[board["id"]]
    starts = [period.starts_at for period in closes]
    assert starts == sorted(starts) and all(period.starts_at <= period.ends_at for period in closes)
    current = api.ok("leaderboard/get", {"id": board["id"]})["currentPeriod"]
    assert current["index"] == 2 and current["startsAt"] == second["endsAt"]
    assert current["endsAt"] == format_ms(now + 4 * DAY)[:19] + ".000Z"


def test_close_period_of_a_leaderboard_ended_in_its_last_period_closes_that_period_in_its_grace(
    api: Api, app_client: TestClient, partner: Partner
) -> None:
    engine, live = app_client.app.state.engine, app_client.app.state.live  # type: ignore[attr-defined]
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    index, ends = board["currentPeriod"]["index"], ms(board["currentPeriod"]["endsAt"])
    api.ok("leaderboard/update", {"id": board["id"], "endDate": format_ms(ends - 60_000)})
    api.ok("event/send", {"events": [act("ann", 3, now)]})
    # Just after the last period's end, in its grace: it closes (at its end), and is the answer.
    closed = period_close.close_now(
        engine, live, partner_id=partner.id, game_object_id=board["id"], now=ends + 10
    )
    assert closed.period.index == index and closed.period.ends_at == ends
    assert closed.top == [{"rank": 1, "userId": "ann", "score": 3}]
    assert closed_indexes(engine, partner, board["id"]) == [index]
    # Nothing is left to close now.
    with pytest.raises(ValidationFailed):
        period_close.close_now(engine, live, partner_id=partner.id, game_object_id=board["id"], now=ends + 20)


USERS = ["ann", "bob", "cid"]
operation = st.one_of(
    st.tuples(
        st.just("events"),
        st.lists(
            st.tuples(st.sampled_from(USERS), st.integers(1, 9), st.integers(-5 * DAY, DAY)), min_size=1
        ),
    ),
    st.tuples(st.just("close"), st.none()),
    st.tuples(st.just("scheduled"), st.integers(0, 3 * DAY)),
    st.tuples(st.just("setScore"), st.tuples(st.sampled_from(USERS), st.integers(0, 50))),
    st.tuples(st.just("deleteScore"), st.sampled_from(USERS)),
    st.tuples(st.just("hide"), st.tuples(st.sampled_from(USERS), st.booleans())),
    st.tuples(st.just("clear"), st.none()),
    st.tuples(st.just("rebuild"), st.none()),
)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    unit=st.sampled_from(["day", "week", "month"]),
    interval=st.integers(1, 3),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
    anchor_offset=st.integers(-40 * DAY, 0),
    operations=st.lists(operation, min_size=1, max_size=10),
)
def test_periods_add_up_to_the_total_and_replay_equals_the_tables(
    new_partner: Any,
    app_client: TestClient,
    engine: Engine,
    unit: str,
    interval: int,
    zone: str,
    anchor_offset: int,
    operations: list[Any],
) -> None:
    partner = new_partner()
    api, v3 = Api(app_client, partner.ks), V3(app_client, partner.ks)
    live: LiveState = app_client.app.state.live  # type: ignore[attr-defined]
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now + anchor_offset)
    api.ok(
        "leaderboard/update",
        {
            "id": board["id"],
            "recurrence": {**board["recurrence"], "unit": unit, "interval": interval, "timezone": zone},
            "participationPolicy": {
                "userDefaultPolicy": "display",
                "policies": [
                    {"policy": "do_not_display", "matchCriteria": "byEmailDomain", "values": ["hide.com"]}
                ],
            },
        },
    )
    reward_rules(api, board["id"])
    for step, (name, value) in enumerate(operations):
        if name == "events":
            api.ok("event/send", {"events": [act(user, points, now + at) for user, points, at in value]})
        elif name == "close":
            status, error = api.call("leaderboard/closePeriod", {"id": board["id"]})
            assert status == 200 or error["code"] == "VALIDATION_ERROR", error
        elif name == "scheduled":
            close_every_due(engine, live, now=now + value)
        elif name == "setScore":
            user, score = value
            v3.call(
                "game_userscore",
                "update",
                {"gameObjectId": board["id"], "gameObjectType": "1", "userId": user, "score": score},
            )
        elif name == "deleteScore":
            v3.call(
                "game_userscore",
                "delete",
                {"gameObjectId": board["id"], "gameObjectType": "1", "userId": value},
            )
        elif name == "hide":
            user, hidden = value
            domain = "hide.com" if hidden else "show.com"
            api.ok("userProfile/upsert", {"userId": user, "email": f"{user}{step}@{domain}"})
        elif name == "rebuild":
            before = {period: scores(api, board["id"], period) for period in ("previous", "current", "all")}
            api.ok("leaderboard/rebuild", {"id": board["id"]})
            assert {period: scores(api, board["id"], period) for period in before} == before
        else:
            api.ok("userScore/clear", {"gameObjectId": board["id"]})
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
        assert verdict.same, verdict.differences
        with LiveState().reading(conn, partner.id) as state:
            totals: dict[str, float] = {}
            for key, period_board in state.boards.items():
                if key.startswith(board["id"] + "#"):
                    for user_id, standing in period_board.standings():
                        totals[user_id] = totals.get(user_id, 0.0) + standing.score
            all_time = (
                {user_id: s.score for user_id, s in state.boards[board["id"]].standings()}
                if board["id"] in state.boards
                else {}
            )
    assert {u: s for u, s in totals.items() if s} == {u: s for u, s in all_time.items() if s}
    with read_transaction(engine) as conn:
        for user_id in USERS:  # and each rule's progress, points and completion over the periods
            found = PeriodProgress(board["id"], user_id).collect(conn, partner.id)
            answer = api.ok("userScore/ruleProgress", {"gameObjectId": board["id"], "userId": user_id})
            for rule in answer["objects"]:
                mine = [value for (_, rule_id), value in found.items() if rule_id == rule["ruleId"]]
                assert sum(value.progress for value in mine) == pytest.approx(rule["progress"])
                assert sum(value.score for value in mine) == pytest.approx(rule["score"])
                assert any(value.completed for value in mine) == rule["completed"]


def test_a_partners_due_periods_close_together_in_one_entry(
    api: Api, app_client: TestClient, partner: Partner, engine: Engine
) -> None:
    live = app_client.app.state.live  # type: ignore[attr-defined]
    now = int(time.time() * 1000)
    anchor = now - 10 * DAY + 3_600_000
    first, second = daily_board(api, anchor_ms=anchor), daily_board(api, anchor_ms=anchor)
    _, tally = reward_rules(api, first["id"])
    api.ok("event/send", {"events": [act("ann", 3, now), act("bob", 1, now)]})
    ends = ms(first["currentPeriod"]["endsAt"])
    close_every_due(engine, live, now=ends + 60_000)
    index = first["currentPeriod"]["index"]
    assert closed_indexes(engine, partner, first["id"]) == [index]
    assert closed_indexes(engine, partner, second["id"]) == [index]
    with read_transaction(engine) as conn:
        found = feed.read(
            conn, partner.id, after=None, limit=100, types=frozenset({"leaderboard.periodClosed"})
        )
        assert len({change.seq for change in found}) == 1 and len(found) == 2  # one entry, two closes
        assert verify(conn, partner.id).same
    # Two periods ended: every ranked user gets a leaderboardPeriodEnd event from each.
    assert scores(api, tally, "all") == {"ann": 2, "bob": 2}


def test_api_v3_answers_and_sets_the_current_period(
    api: Api, app_client: TestClient, partner: Partner
) -> None:
    v3 = V3(app_client, partner.ks)
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    api.ok("event/send", {"events": [act("ann", 5, now - 2 * DAY), act("ann", 2, now), act("bob", 4, now)]})
    listed = v3.call(
        "game_userscore", "list", {"filter": {"gameObjectId": board["id"], "gameObjectType": "1"}}
    )
    assert [(item["userId"], item["score"], item["rank"]) for item in listed["objects"]] == [
        ("bob", 4, 1),
        ("ann", 2, 2),
    ]
    v3.call(
        "game_userscore",
        "update",
        {"gameObjectId": board["id"], "gameObjectType": "1", "userId": "ann", "score": 10},
    )
    # The all-time total becomes 10; the current period moves by as much (2 + 3), so the periods still add up.
    assert scores(api, board["id"], "all") == {"ann": 10, "bob": 4}
    assert scores(api, board["id"]) == {"ann": 5, "bob": 4}


def test_api_v3_update_answers_the_standing_list_and_get_show(
    api: Api, app_client: TestClient, partner: Partner
) -> None:
    v3 = V3(app_client, partner.ks)
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    api.ok("event/send", {"events": [act("ann", 5, now - 2 * DAY), act("ann", 2, now), act("bob", 4, now)]})
    target = {"gameObjectId": board["id"], "gameObjectType": "1"}

    def shown(answer: dict[str, Any]) -> list[tuple[str, int, int | None]]:
        return [(item["userId"], item["score"], item["rank"]) for item in answer["objects"]]

    for user, score in (("ann", 10), ("bob", 4), ("cid", 3)):
        answer = v3.call("game_userscore", "update", {**target, "userId": user, "score": score})
        listed = v3.call("game_userscore", "list", {"filter": {**target, "userIdEqual": user}})
        got = api.ok("userScore/get", {"gameObjectId": board["id"], "userId": user})
        assert shown(answer) == [(user, got["score"], got["rank"])], (user, answer)
        assert shown(answer)[0] in shown(listed)
    # ann's all-time total is 10; the current period (and so the answer) moved by as much: 2 + 3.
    assert shown(v3.call("game_userscore", "list", {"filter": target})) == [
        ("ann", 5, 1),
        ("bob", 4, 2),
        ("cid", 3, 3),
    ]
    assert scores(api, board["id"], "all") == {"ann": 10, "bob": 4, "cid": 3}
    # A score set to the total a user has from earlier periods only leaves them out of the current one: listed and
    # got there as nobody, answered so.
    api.ok("event/send", {"events": [act("dan", 6, now - 2 * DAY)]})
    answer = v3.call("game_userscore", "update", {**target, "userId": "dan", "score": 6})
    assert (
        shown(answer)
        == []
        == shown(v3.call("game_userscore", "list", {"filter": {**target, "userIdEqual": "dan"}}))
    )
    status, error = api.call("userScore/get", {"gameObjectId": board["id"], "userId": "dan"})
    assert (status, error["code"]) == (404, "USER_ID_NOT_FOUND")


def test_api_v3_delete_removes_a_user_with_no_score_in_the_current_period(
    api: Api, app_client: TestClient, partner: Partner
) -> None:
    v3 = V3(app_client, partner.ks)
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    api.ok("event/send", {"events": [act("ann", 5, now - 2 * DAY), act("bob", 1, now - 2 * DAY)]})
    assert scores(api, board["id"]) == {}
    params = {"gameObjectId": board["id"], "gameObjectType": "1", "userId": "ann"}
    # Nothing in the current period: the answer is what she had all-time.
    answer = v3.call("game_userscore", "delete", params)
    assert [(item["rank"], item["userId"], item["score"]) for item in answer["objects"]] == [(1, "ann", 5)]
    assert scores(api, board["id"], "all") == {"bob": 1}
    assert scores(api, board["id"], board["currentPeriod"]["index"] - 2) == {"bob": 1}
    assert v3.call("game_userscore", "delete", params)["code"] == "USER_ID_NOT_FOUND"


def test_api_v3_update_that_changes_nothing_leaves_the_current_period_alone(
    api: Api, app_client: TestClient, partner: Partner, engine: Engine
) -> None:
    # A user who did nothing this period is not entered in it (ranked, rewarded at its close) by a set score.
    v3 = V3(app_client, partner.ks)
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    api.ok("event/send", {"events": [act("ann", 5, now - 2 * DAY)]})
    params = {"gameObjectId": board["id"], "gameObjectType": "1", "userId": "ann", "score": 5}
    answer = v3.call("game_userscore", "update", params)
    # Not in the current period, she is not in the answer either (as `list` and `userScore/get` show it).
    assert (answer["objects"], answer["totalCount"]) == ([], 0)
    assert scores(api, board["id"], "all") == {"ann": 5}
    assert scores(api, board["id"]) == {}
    assert api.ok("leaderboard/closePeriod", {"id": board["id"]})["top"] == []
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
        assert verdict.same, verdict.differences


def test_api_v3_update_keeps_a_hidden_user_hidden_in_the_current_period(
    api: Api, app_client: TestClient, partner: Partner, engine: Engine
) -> None:
    v3 = V3(app_client, partner.ks)
    now = int(time.time() * 1000)
    board = _board_hiding_hide_com(api, now)
    api.ok("userProfile/upsert", {"userId": "ann", "email": "ann@hide.com"})
    api.ok("event/send", {"events": [act("ann", 5, now - 2 * DAY), act("bob", 1, now)]})
    params = {"gameObjectId": board["id"], "gameObjectType": "1", "userId": "ann", "score": 9}
    v3.call("game_userscore", "update", params)
    assert scores(api, board["id"], "all") == {"bob": 1}
    assert scores(api, board["id"]) == {"bob": 1}
    top = api.ok("leaderboard/closePeriod", {"id": board["id"]})["top"]
    assert [item["userId"] for item in top] == ["bob"]
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
        assert verdict.same, verdict.differences


def test_clone_has_periods_of_its_own_and_delete_drops_them(
    api: Api, partner: Partner, engine: Engine
) -> None:
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 3 * DAY + 3_600_000)
    copy = api.ok("leaderboard/clone", {"id": board["id"]})
    assert copy["recurrence"] == board["recurrence"] and copy["currentPeriod"] == board["currentPeriod"]
    closed = api.ok("leaderboard/closePeriod", {"id": copy["id"]})
    assert closed["gameObjectId"] == copy["id"] and closed["index"] == board["currentPeriod"]["index"]
    assert closed_indexes(engine, partner, board["id"]) == []
    api.ok("leaderboard/delete", {"id": copy["id"]})
    assert closed_indexes(engine, partner, copy["id"]) == []
    status, _ = api.call("leaderboard/closePeriod", {"id": copy["id"]})
    assert status == 404
    with read_transaction(engine) as conn:
        assert period_repository.pending_of(conn, partner.id, copy["id"]) == []
        assert verify(conn, partner.id).same


def test_api_v3_update_of_a_user_new_to_the_board_follows_its_policy(
    api: Api, app_client: TestClient, partner: Partner, engine: Engine
) -> None:
    v3 = V3(app_client, partner.ks)
    now = int(time.time() * 1000)
    board = _board_hiding_hide_com(api, now)
    api.ok("userProfile/upsert", {"userId": "ann", "email": "ann@hide.com"})  # ann never scored here
    api.ok("event/send", {"events": [act("bob", 1, now)]})
    v3.call(
        "game_userscore",
        "update",
        {**{"gameObjectId": board["id"], "gameObjectType": "1"}, "userId": "ann", "score": 9},
    )
    assert scores(api, board["id"], "all") == {
        "bob": 1
    }  # hidden, as an award of the rules would have left her
    assert scores(api, board["id"]) == {"bob": 1}
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
        assert verdict.same, verdict.differences
    with read_transaction(engine) as conn, LiveState().reading(conn, partner.id) as state:
        standing = state.boards[board["id"]].standing("ann")
        assert standing is not None and standing.hidden and standing.score == 9


def _board_hiding_hide_com(api: Api, now: int) -> dict[str, Any]:
    """A daily leaderboard whose policy hides users with an e-mail at hide.com."""
    board: dict[str, Any] = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    policy = {
        "userDefaultPolicy": "display",
        "policies": [{"policy": "do_not_display", "matchCriteria": "byEmailDomain", "values": ["hide.com"]}],
    }
    api.ok("leaderboard/update", {"id": board["id"], "participationPolicy": policy})
    return board


def test_an_end_date_moved_before_the_current_period_drops_its_close(
    api: Api, partner: Partner, engine: Engine
) -> None:
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    with read_transaction(engine) as conn:
        assert len(period_repository.pending_of(conn, partner.id, board["id"])) == 1
    api.ok("leaderboard/update", {"id": board["id"], "endDate": format_ms(now - 2 * DAY)})
    with read_transaction(
        engine
    ) as conn:  # the current period starts after the new end date: it never closes
        assert period_repository.pending_of(conn, partner.id, board["id"]) == []
    api.ok("leaderboard/update", {"id": board["id"], "endDate": format_ms(now + 365 * DAY)})
    with read_transaction(engine) as conn:  # moved out again: the next period end is due again
        assert len(period_repository.pending_of(conn, partner.id, board["id"])) == 1


def test_replay_verify_reports_a_closed_period_the_tables_lost(
    api: Api, app_client: TestClient, engine: Engine, partner: Partner
) -> None:
    # The log says the period closed; the tables (what a load builds its timelines from) say it is still pending:
    # a process loading now would count late events in that period, the replay in the next one.
    now = int(time.time() * 1000)
    board = daily_board(api, anchor_ms=now - 10 * DAY + 3_600_000)
    api.ok("event/send", {"events": [act("ann", 5, now)]})
    closed = api.ok("leaderboard/closePeriod", {"id": board["id"]})
    with read_transaction(engine) as conn:
        before = verify(conn, partner.id)
    assert before.same and before.closed_periods == 1, before
    with write_transaction(engine) as conn:
        conn.execute(
            update(leaderboard_periods)
            .where(leaderboard_periods.c.partner_id == partner.id)
            .where(leaderboard_periods.c.game_object_id == board["id"])
            .where(leaderboard_periods.c.period_index == closed["index"])
            .values(status="pending", closed_at=None)
        )
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert not verdict.same
    assert verdict.differences == [
        f"closed period ({board['id']!r}, {closed['index']}): replayed "
        f"({ms(closed['startsAt'])}, {ms(closed['endsAt'])}, {ms(closed['closedAt'])}), stored None"
    ]


def test_a_reward_inside_another_boards_open_period_counts_there_when_both_close_together(
    api: Api, app_client: TestClient, engine: Engine, partner: Partner
) -> None:
    # Board A's period ends at E (grace 60 s: due E+60 s); board B's ends at E+60 s (grace 0: due E+60 s too), so
    # one scheduler look closes both. A's leaderboardPeriodEnd event (eventTime E) lies inside B's period, still
    # open at E: it counts there, as when the two close in separate looks, and B's period ranks with it.
    live = app_client.app.state.live  # type: ignore[attr-defined]
    now = int(time.time() * 1000)
    anchor = now - 10 * DAY + 3_600_000
    a = daily_board(api, anchor_ms=anchor, grace=60)
    b = daily_board(api, anchor_ms=anchor + 60_000, grace=0)
    api.ok(
        "rule/create",
        {
            **points_rule(b["id"]),
            "name": "A's period ends",
            "conditions": [
                {"fact": "eventType", "operator": "equal", "value": "leaderboardPeriodEnd"},
                {"fact": "gameObjectId", "operator": "equal", "value": a["id"]},
            ],
            "type": "count",
        },
    )
    b_index = b["currentPeriod"]["index"]
    api.ok("event/send", {"events": [act("ann", 5, now)]})
    end_a = ms(a["currentPeriod"]["endsAt"].replace("Z", "+00:00"))
    close_every_due(engine, live, now=end_a + 60_000)  # both due now: one look, one transaction
    assert scores(api, b["id"], "all") == {"ann": 6}
    assert scores(api, b["id"], b_index) == {"ann": 6}
    # B's period ranked with the reward: its own leaderboardPeriodEnd event carries the score 6.
    with read_transaction(engine) as conn:
        closes = [
            event_log.decode_body(entry.body)
            for entry in event_log.entries_after(conn, partner.id, 0, limit=1_000)
            if entry.kind == PERIOD_CLOSE
        ]
        verdict = verify(conn, partner.id)
    assert [[item["gameObjectId"] for item in close["periods"]] for close in closes] == [[a["id"]], [b["id"]]]
    assert [fields["score"] for _, fields in closes[1]["events"]] == [6]
    assert verdict.same, verdict.differences
