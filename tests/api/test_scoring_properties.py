"""Properties of scoring through the whole service (engine, database, live state): chunking never matters (for
scores, rules' skips and caps read from an entry's kept duration), re-sends change nothing, and a user's total
is always the sum of their rule scores."""

from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from tests.conftest import Api

RULES = [
    {
        "name": "watch",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
        "type": "sum",
        "metric": "playTime",
        "groupBy": "kuserId,entryId",
        "goal": "60",
        "points": "10",
        "maxPoints": "30",
    },
    {
        "name": "minutes",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
        "type": "count",
        "metric": "playTime",
        "groupBy": "kuserId",
        "goal": "1",
        "points": "4",
        "maxPoints": "duration,inMinutesMultiplyByPoints",
    },
    {
        "name": "polls",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
        "type": "countUnique",
        "metric": "pollId",
        "groupBy": "kuserId",
        "goal": "2",
        "points": "7",
        "maxPoints": "unlimited",
    },
    {
        "name": "first three",
        "conditions": [{"fact": "eventType", "operator": "in", "value": "registered,confirmed"}],
        "type": "countUnique",
        "metric": "kuserId",
        "groupBy": "",
        "goal": "1",
        "points": "100",
        "maxPoints": "300",
    },
    {
        "name": "likes",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "like"}],
        "type": "countBoolean",
        "metric": "like",
        "groupBy": "kuserId",
        "goal": "1",
        "points": "3",
        "maxPoints": "9",
    },
]

events_strategy = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "eventType": st.just("viewPeriod"),
                "userId": st.sampled_from("abcde"),
                "entryId": st.sampled_from(["e1", "e2"]),
            },
            # Without playTime "watch" skips the event; without duration "minutes" reads the entry's.
            optional={"playTime": st.integers(0, 90), "duration": st.sampled_from([0, 60, 150, 300])},
        ),
        st.fixed_dictionaries(
            {
                "eventType": st.just("pollAnswered"),
                "userId": st.sampled_from("abcde"),
                "pollId": st.sampled_from(["p1", "p2", "p3"]),
            }
        ),
        st.fixed_dictionaries(
            {"eventType": st.sampled_from(["registered", "confirmed"]), "userId": st.sampled_from("abcdef")}
        ),
        st.fixed_dictionaries(
            {
                "eventType": st.just("like"),
                "userId": st.sampled_from("abc"),
                "like": st.sampled_from([True, False, 1, 0, "true"]),
            }
        ),
    ),
    min_size=1,
    max_size=30,
)


def _leaderboard(api: Api) -> str:
    body = {
        "name": "p",
        "status": "enabled",
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": "2099-01-01T00:00:00Z",
        "virtualEventIds": [],
    }
    leaderboard: str = api.ok("leaderboard/create", body)["id"]
    for rule in RULES:
        api.ok(
            "rule/create",
            {
                **rule,
                "gameObjectType": "leaderboard",
                "gameObjectId": leaderboard,
                "mode": "distribute_points",
            },
        )
    return leaderboard


def _state(api: Api, leaderboard: str) -> list[tuple[str, Any, Any]]:
    listed = api.ok("userScore/list", {"gameObjectId": leaderboard, "pager": {"pageSize": 500}})["objects"]
    state = []
    for item in listed:
        progress = api.ok("userScore/ruleProgress", {"gameObjectId": leaderboard, "userId": item["userId"]})
        rules = sorted((rule["name"], rule["progress"], rule["score"]) for rule in progress["objects"])
        state.append((item["userId"], (item["score"], item["rank"]), rules))
    return state


def _ledger_matches_totals(engine: Engine) -> None:
    with engine.connect() as conn:
        mismatched = conn.execute(
            text(
                "SELECT s.partner_id, s.game_object_id, s.user_id FROM user_scores s "
                "JOIN (SELECT partner_id, game_object_id, user_id, SUM(score) AS total FROM user_rule_scores "
                "GROUP BY partner_id, game_object_id, user_id) r "
                "ON r.partner_id = s.partner_id AND r.game_object_id = s.game_object_id AND r.user_id = s.user_id "
                "WHERE abs(r.total - s.score) > 1e-9"
            )
        ).all()
    assert mismatched == []


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=events_strategy, cuts=st.lists(st.integers(1, 29), max_size=6), resend=st.data())
def test_chunking_and_resends_do_not_change_the_state(
    app_client: Any,
    new_partner: Any,
    engine: Engine,
    events: list[dict[str, Any]],
    cuts: list[int],
    resend: Any,
) -> None:
    numbered = [
        {**event, "eventId": f"id{index}", "eventTime": 1_700_000_000 + index}
        for index, event in enumerate(events)
    ]
    whole, split, single = (Api(app_client, new_partner().ks) for _ in range(3))
    boards = [_leaderboard(api) for api in (whole, split, single)]
    skipped = [
        (skip["index"], skip["message"]) for skip in whole.ok("event/send", {"events": numbered})["skipped"]
    ]
    bounds = sorted({0, len(numbered), *(cut for cut in cuts if cut < len(numbered))})
    split_skipped = []
    for start, stop in pairwise(bounds):
        answer = split.ok("event/send", {"events": numbered[start:stop]})
        split_skipped += [(skip["index"] + start, skip["message"]) for skip in answer["skipped"]]
        _ledger_matches_totals(engine)
    single_skipped = []
    for index, event in enumerate(numbered):
        answer = single.ok("event/send", {"events": [event]})
        single_skipped += [(index, skip["message"]) for skip in answer["skipped"]]
    assert split_skipped == skipped and single_skipped == skipped
    expected = _state(whole, boards[0])
    assert _state(split, boards[1]) == expected
    assert _state(single, boards[2]) == expected
    again = resend.draw(st.lists(st.sampled_from(numbered), min_size=1, max_size=10))
    answer = whole.ok("event/send", {"events": again})
    assert answer["accepted"] == 0 and answer["duplicates"] == len(again)
    assert _state(whole, boards[0]) == expected
    _ledger_matches_totals(engine)
