"""`userScore/explain`: the awards behind a user's score, found by replaying the object over the log; their
points add up to `userScore/get` for random streams with rule changes, clears and rebuilds in between."""

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api import guide_bodies as guide
from tests.api.test_replay_whatif import IN_WINDOW, make_board, view_rule
from tests.conftest import Api

USERS = ("ann", "bob", "cid")


def explained(api: Api, board: str, user: str, size: int = 500) -> dict[str, Any]:
    body = {"gameObjectId": board, "userId": user, "pager": {"pageSize": size, "pageIndex": 1}}
    answer: dict[str, Any] = api.ok("userScore/explain", body)
    return answer


def test_explain_lists_each_award_newest_first_with_the_running_total(api: Api) -> None:
    board, rule = make_board(api, 10)
    watch = api.ok("rule/create", view_rule(board, 2))["id"]
    events = [
        {"eventType": "pollAnswered", "userId": "ann", "pollId": "p1", "eventId": "e1", **IN_WINDOW},
        {"eventType": "view", "userId": "ann", "entryId": "x", "eventId": "e2", **IN_WINDOW},
        {"eventType": "pollAnswered", "userId": "bob", "pollId": "p1", "eventId": "e3", **IN_WINDOW},
    ]
    api.ok("event/send", {"events": events})
    api.ok("rule/update", {"id": rule, "points": "1", "name": "Polls, fewer points"})
    api.ok("event/send", {"events": [{**events[0], "pollId": "p2", "eventId": "e4"}]})
    answer = explained(api, board, "ann")
    assert answer["totalCount"] == 3
    assert [
        (o["eventId"], o["ruleId"], o["ruleName"], o["points"], o["total"]) for o in answer["objects"]
    ] == [
        ("e4", rule, "Polls, fewer points", 1, 13),
        ("e2", watch, "Watch", 2, 12),
        ("e1", rule, "Answer polls", 10, 10),
    ]
    first = answer["objects"][-1]
    assert first["eventType"] == "pollAnswered" and first["eventTime"] == "2025-06-02T10:00:00.000Z"
    assert api.ok("userScore/get", {"gameObjectId": board, "userId": "ann"})["score"] == 13
    paged = explained(api, board, "ann", size=1)
    assert paged["totalCount"] == 3 and [o["eventId"] for o in paged["objects"]] == ["e4"]
    assert explained(api, board, "nobody") == {"totalCount": 0, "objects": []}
    assert api.call("userScore/explain", {"gameObjectId": "nope", "userId": "ann"})[0] == 404
    assert api.call("userScore/explain", {"gameObjectId": board})[0] == 400


def test_explain_works_for_every_game_object_type(api: Api) -> None:
    badge = api.ok("badge/create", {**guide.badge_7_1(), "status": "enabled"})
    lead = api.ok("leadScoring/create", {**guide.lead_scoring_9_3(), "status": "enabled"})["id"]
    api.ok("rule/create", guide.lead_scoring_rule_9_3(lead))
    views = [
        {
            "eventType": "viewPeriod",
            "userId": "ann",
            "entryId": f"s{n}",
            "playTime": 70,
            **IN_WINDOW,
        }
        for n in range(3)
    ]
    api.ok("event/send", {"events": views})
    for object_id in (badge["id"], lead):
        answer = explained(api, object_id, "ann")
        score = api.ok("userScore/get", {"gameObjectId": object_id, "userId": "ann"})["score"]
        assert answer["totalCount"] >= 1 and answer["objects"][0]["total"] == score


operation = st.one_of(
    st.tuples(
        st.just("events"),
        st.lists(
            st.tuples(st.sampled_from(USERS), st.sampled_from(["p1", "p2", "p3", "x", "y"])),
            min_size=1,
            max_size=6,
        ),
    ),
    st.tuples(st.just("points"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("clear"), st.none()),
    st.tuples(st.just("rebuild"), st.none()),
    st.tuples(st.just("newRule"), st.integers(min_value=1, max_value=5)),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=10))
def test_explained_points_add_up_to_the_score(
    app_client: TestClient, new_partner: Any, operations: list[Any]
) -> None:
    api = Api(app_client, new_partner().ks)
    board, rule = make_board(api, 5)
    for kind, value in operations:
        if kind == "events":
            events = [
                {"eventType": "pollAnswered", "userId": user, "pollId": item, **IN_WINDOW}
                if item.startswith("p")
                else {"eventType": "view", "userId": user, "entryId": item, **IN_WINDOW}
                for user, item in value
            ]
            api.ok("event/send", {"events": events})
        elif kind == "points":
            api.ok("rule/update", {"id": rule, "points": str(value)})
        elif kind == "clear":
            api.ok("userScore/clear", {"gameObjectId": board})
        elif kind == "rebuild":
            api.ok("leaderboard/rebuild", {"id": board})
        else:
            api.ok("rule/create", {**view_rule(board, value), "name": f"Watch {value}"})
    for user in USERS:
        answer = explained(api, board, user)
        status, got = api.call("userScore/get", {"gameObjectId": board, "userId": user})
        score = got["score"] if status == 200 else 0
        assert sum(o["points"] for o in answer["objects"]) == score
        if answer["objects"]:
            assert answer["objects"][0]["total"] == score
        assert answer["totalCount"] == len(answer["objects"])
