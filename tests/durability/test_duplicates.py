"""Re-sent events through the in-process API: any multiset of re-sends gives the state of exactly-once delivery.

The engine is order-dependent in places (``reached_at`` and so ranks among equal scores, the time a bucket
completed or a badge was achieved, and who gets a pool shared by all users, like the "first three" rule), so the
property is stated against a precise order:

1. **First occurrence fixes the position.** Let E be distinct events with ids, each delivered 1–5 times, the
   copies shuffled across calls and within them. Concatenate the calls; the position of an event's first copy is
   its position. The state (every engine table and the v1 answers) equals that of sending each event of E exactly
   once, in that order. Copies after the first change nothing.
2. **Commuting effects ignore the order.** For rules whose effects commute (sum with caps, count, countUnique and
   countBoolean grouped by user), each user's score, bucket progress and points, seen values, rule progress and
   completion equal those of sending E exactly once in its original order, whatever the shuffle.
"""

from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from gameservices.projection import checkpoint
from gameservices.storage.database import read_transaction
from tests.conftest import Api
from tests.durability import workload

USERS = ["ada", "bob", "cyd", "dan"]

event_bodies = st.one_of(
    st.fixed_dictionaries(
        {
            "eventType": st.just("viewPeriod"),
            "userId": st.sampled_from(USERS),
            "entryId": st.sampled_from(["e1", "e2", "e3", "e4"]),
            "playTime": st.sampled_from([0, 15, 30, 45, 60, 90]),
        }
    ),
    st.fixed_dictionaries(
        {"eventType": st.just("comment"), "userId": st.sampled_from(USERS), "comment": st.just("hi")}
    ),
    st.fixed_dictionaries(
        {
            "eventType": st.just("pollAnswered"),
            "userId": st.sampled_from(USERS),
            "pollId": st.sampled_from(["p1", "p2", "p3"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "eventType": st.just("like"),
            "userId": st.sampled_from(USERS),
            "like": st.sampled_from([True, False, 1, 0, "true"]),
        }
    ),
    st.fixed_dictionaries({"eventType": st.just("registered"), "userId": st.sampled_from(USERS)}),
    # Refused by the sum rule every time it comes: it must leave no trace, however often it is re-sent.
    st.fixed_dictionaries(
        {
            "eventType": st.just("viewPeriod"),
            "userId": st.sampled_from(USERS),
            "entryId": st.just("e1"),
            "playTime": st.just("long"),
        }
    ),
)


@st.composite
def deliveries(draw: Any) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """Distinct events with ids and times (times repeat, so ties happen), and the calls that deliver them."""
    bodies = draw(st.lists(event_bodies, min_size=1, max_size=25))
    events = [
        {**body, "eventId": f"id{number}", "eventTime": workload.FIRST_EVENT_TIME + number // 2}
        for number, body in enumerate(bodies)
    ]
    copies = [event for event in events for _ in range(draw(st.integers(1, 5)))]
    shuffled = draw(st.permutations(copies))
    cuts = sorted(set(draw(st.lists(st.integers(1, len(shuffled)), max_size=8))) | {0, len(shuffled)})
    return events, [shuffled[start:stop] for start, stop in pairwise(cuts) if start < stop]


def first_seen_order(calls: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each event once, where its first copy was."""
    seen: dict[str, dict[str, Any]] = {}
    for call in calls:
        for event in call:
            seen.setdefault(event["eventId"], event)
    return list(seen.values())


def state(api: Api, engine: Engine, partner_id: int, objects: tuple[str, str]) -> tuple[Any, Any]:
    """Every engine table of the partner and the v1 answers, with generated ids replaced by names."""
    checkpoint.bring_up(
        engine, api.client.app.state.live, partner_id
    )  # the tables, up to every answered write
    with read_transaction(engine) as conn:
        labels = workload.names_by_id(conn, partner_id)
        dump = workload.engine_dump(conn, partner_id)
    return dump, workload.api_answers(api.call, objects, labels)


PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(delivery=deliveries())
def test_resends_in_any_arrangement_equal_exactly_once_in_first_seen_order(
    app_client: Any, new_partner: Any, engine: Engine, delivery: tuple[list[Any], list[list[Any]]]
) -> None:
    _, calls = delivery
    partners = [new_partner(), new_partner()]
    once, resent = (Api(app_client, partner.ks) for partner in partners)
    objects = [workload.set_up(api.call) for api in (once, resent)]
    order = first_seen_order(calls)
    accepted_once = once.ok("event/send", {"events": order})["accepted"]
    accepted = sum(resent.ok("event/send", {"events": call})["accepted"] for call in calls)
    assert accepted == accepted_once
    expected = state(once, engine, partners[0].id, objects[0])
    assert state(resent, engine, partners[1].id, objects[1]) == expected


COMMUTING = [rule for rule in workload.RULES if rule["name"] != "first three"]


@PROPERTY
@given(delivery=deliveries())
def test_resends_in_any_order_give_the_scores_of_exactly_once_for_commuting_rules(
    app_client: Any, new_partner: Any, engine: Engine, delivery: tuple[list[Any], list[list[Any]]]
) -> None:
    events, calls = delivery
    partners = [new_partner(), new_partner()]
    once, resent = (Api(app_client, partner.ks) for partner in partners)
    objects = [_commuting_leaderboard(api) for api in (once, resent)]
    once.ok("event/send", {"events": events})
    for call in calls:
        resent.ok("event/send", {"events": call})
    assert _scores(resent, engine, partners[1].id, objects[1]) == _scores(
        once, engine, partners[0].id, objects[0]
    )


def _commuting_leaderboard(api: Api) -> str:
    body = {"name": "commuting", "status": "enabled", "startDate": "2020-01-01T00:00:00Z"}
    leaderboard: str = api.ok(
        "leaderboard/create", {**body, "endDate": "2099-01-01T00:00:00Z", "virtualEventIds": []}
    )["id"]
    for rule in COMMUTING:
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


def _scores(api: Api, engine: Engine, partner_id: int, leaderboard: str) -> Any:
    """What does not depend on the order: totals, bucket progress and points, seen values, rule progress."""
    checkpoint.bring_up(engine, api.client.app.state.live, partner_id)
    with read_transaction(engine) as conn:
        labels = workload.names_by_id(conn, partner_id)
        buckets = [row[:5] for row in workload.table_rows(conn, partner_id, "buckets")]
        seen = list(workload.table_rows(conn, partner_id, "bucket_values"))
        ledger = list(workload.table_rows(conn, partner_id, "user_rule_scores"))
    listed = api.ok("userScore/list", {"gameObjectId": leaderboard, "pager": {"pageSize": 500}})["objects"]
    totals = sorted((item["userId"], item["score"]) for item in listed)
    progress = [
        sorted(
            (labels[rule["ruleId"]], rule["progress"], rule["score"], rule["completed"])
            for rule in api.ok("userScore/ruleProgress", {"gameObjectId": leaderboard, "userId": user})[
                "objects"
            ]
        )
        for user, _ in totals
    ]
    return buckets, seen, ledger, totals, progress
