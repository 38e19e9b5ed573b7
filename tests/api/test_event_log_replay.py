"""Replaying a partner's whole event log from empty gives exactly the state its tables hold (every bucket, every
score, rank and hidden flag, every badge achieved and when, every user certificate with its status, credits and
times), for random streams of events mixed with rule
changes, game object changes, profile changes, CSV imports, manual score changes, clears and rebuilds; and a
second process that follows the log entry by entry ends in the same state."""

from typing import Any, NamedTuple

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.projection import checkpoint
from gameservices.projection.checkpoint import checkpoint_partner
from gameservices.projection.live import LiveState
from gameservices.projection.replay import snapshot, verify
from gameservices.storage import checkpoints, event_log
from gameservices.storage.database import read_transaction
from tests.api import guide_bodies as guide
from tests.api.v3_client import V3
from tests.conftest import POLL_RULE, Api

USERS = ["ann", "bob", "cid", "dan"]
IN_WINDOW = {"eventTime": "2025-06-02T10:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID}

event = st.fixed_dictionaries(
    {
        "eventType": st.sampled_from(["pollAnswered", "viewPeriod"]),
        "userId": st.sampled_from(USERS),
        "pollId": st.sampled_from(["p1", "p2", "p3"]),
        "playTime": st.integers(0, 90),
    }
)
operation = st.one_of(
    st.tuples(st.just("events"), st.lists(event, min_size=1, max_size=6)),
    st.tuples(st.just("points"), st.integers(1, 9)),
    st.tuples(st.just("ruleStatus"), st.sampled_from(["enabled", "disabled"])),
    st.tuples(st.just("newRule"), st.integers(1, 5)),
    st.tuples(st.just("profile"), st.tuples(st.sampled_from(USERS), st.sampled_from(["a.com", "hide.com"]))),
    st.tuples(st.just("deleteProfile"), st.sampled_from(USERS)),
    st.tuples(st.just("policy"), st.sampled_from(["display", "do_not_display", "do_not_save"])),
    st.tuples(st.just("csv"), st.lists(st.tuples(st.sampled_from(USERS), st.integers(0, 50)), min_size=1)),
    st.tuples(st.just("setScore"), st.tuples(st.sampled_from(USERS), st.integers(0, 500))),
    st.tuples(st.just("deleteScore"), st.sampled_from(USERS)),
    st.tuples(st.just("clear"), st.none()),
    # The derived tables written from one of the two processes' states (events after it stay in the log only).
    st.tuples(st.just("checkpoint"), st.sampled_from(["writer", "follower"])),
    # The badge: its rules changed, its scores cleared, recomputed from the log.
    st.tuples(st.just("badgeGoal"), st.integers(1, 3)),
    st.tuples(st.just("badgeRuleStatus"), st.sampled_from(["enabled", "disabled"])),
    st.tuples(st.just("clearBadge"), st.none()),
    st.tuples(st.just("rebuildBadge"), st.booleans()),
    # The certificate: its rule's points changed, its scores cleared, recomputed from the log.
    st.tuples(st.just("certificatePoints"), st.integers(1, 15)),
    st.tuples(st.just("clearCertificate"), st.none()),
    st.tuples(st.just("rebuildCertificate"), st.booleans()),
    st.tuples(st.just("setCertificateScore"), st.tuples(st.sampled_from(USERS), st.integers(0, 40))),
    st.tuples(st.just("deleteCertificateScore"), st.sampled_from(USERS)),
)


class Ids(NamedTuple):
    """The game objects and rules a run works on."""

    board: str
    rule: str
    badge: str
    polls: str  # the badge's rule counting unique polls
    watch: str  # the badge's rule summing play time
    certificate: str  # certified at 20 credits
    course: str  # the certificate's rule: points per unique poll


def _policy(hidden_domain_policy: str) -> dict[str, Any]:
    return {
        "userDefaultPolicy": "display",
        "policies": [
            {"policy": hidden_domain_policy, "matchCriteria": "byEmailDomain", "values": ["hide.com"]}
        ],
    }


def _setup(api: Api) -> Ids:
    board: str = api.ok(
        "leaderboard/create",
        {**guide.leaderboard_4_2(), "status": "enabled", "participationPolicy": _policy("do_not_display")},
    )["id"]
    rule = api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})["id"]
    api.ok(
        "rule/create",
        {
            "name": "External",
            "gameObjectType": "leaderboard",
            "gameObjectId": board,
            "mode": "distribute_points",
            "conditions": [
                {"fact": "eventType", "operator": "equal", "value": "external"},
                {"fact": "externalRuleId", "operator": "equal", "value": "bonus"},
            ],
            "type": "external",
            "metric": "score",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "score",
            "maxPoints": "unlimited",
        },
    )
    badge = api.ok(
        "badge/create",
        {
            "name": "Two polls and a minute",
            "virtualEventIds": [guide.VIRTUAL_EVENT_ID],
            "rules": [
                {
                    "name": "Polls",
                    "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
                    "type": "countUnique",
                    "metric": "pollId",
                    "groupBy": "kuserId",
                    "goal": "2",
                    "points": "1",
                    "maxPoints": "1",
                },
                {
                    "name": "Watch",
                    "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
                    "type": "sum",
                    "metric": "playTime",
                    "groupBy": "kuserId",
                    "goal": "60",
                    "points": "1",
                    "maxPoints": "1",
                },
            ],
        },
    )
    polls, watch = (item["id"] for item in badge["rules"])
    certificate = api.ok(
        "certificate/create",
        {**guide.certificate_8_2(), "status": "enabled", "certifiedCreditsThreshold": 20},
    )["id"]
    course = api.ok(
        "rule/create", {**POLL_RULE, "gameObjectType": "certificate", "gameObjectId": certificate}
    )["id"]
    return Ids(board, str(rule), str(badge["id"]), str(polls), str(watch), str(certificate), str(course))


def _run(api: Api, v3: V3, ids: Ids, step: int, op: tuple[str, Any]) -> None:
    name, value = op
    board, rule = ids.board, ids.rule
    if name == "events":
        api.ok("event/send", {"events": [{**item, **IN_WINDOW} for item in value]})
    elif name == "points":
        api.ok("rule/update", {"id": rule, "points": str(value)})
    elif name == "ruleStatus":
        api.ok("rule/update", {"id": rule, "status": value})
    elif name == "newRule":
        api.ok(
            "rule/create",
            {
                "name": f"Watch {step}",
                "gameObjectType": "leaderboard",
                "gameObjectId": board,
                "mode": "distribute_points",
                "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
                "type": "sum",
                "metric": "playTime",
                "groupBy": "kuserId",
                "goal": "30",
                "points": str(value),
                "maxPoints": "100",
            },
        )
    elif name == "profile":
        user, domain = value
        api.ok("userProfile/upsert", {"userId": user, "email": f"{user}{step}@{domain}"})
    elif name == "deleteProfile":
        api.call("userProfile/delete", {"userId": value})
    elif name == "policy":
        api.ok("leaderboard/update", {"id": board, "participationPolicy": _policy(value)})
    elif name == "csv":
        rows = "".join(f"{user},{score}\n" for user, score in value)
        uploaded = api.client.post(
            "/api/v1/event/sendExternalEventsFromCSV",
            headers={"Authorization": f"Bearer {api.ks}"},
            data={"eventAction": "delta"},
            files={"csvFile": ("scores.csv", f"UserID,bonus\n{rows}".encode(), "text/csv")},
        )
        assert uploaded.status_code == 200, uploaded.text
    elif name == "setScore":
        user, score = value
        answer = v3.call(
            "game_userscore",
            "update",
            {"gameObjectId": board, "gameObjectType": "1", "userId": user, "score": score},
        )
        assert answer.get("objectType") != "KalturaAPIException", answer
    elif name == "deleteScore":
        v3.call("game_userscore", "delete", {"gameObjectId": board, "gameObjectType": "1", "userId": value})
    elif name == "badgeGoal":
        api.ok("rule/update", {"id": ids.polls, "goal": str(value)})
    elif name == "badgeRuleStatus":
        api.ok("rule/update", {"id": ids.watch, "status": value})
    elif name == "clearBadge":
        api.ok("userScore/clear", {"gameObjectId": ids.badge})
    elif name == "rebuildBadge":
        api.ok("badge/rebuild", {"id": ids.badge, "revokeUnearned": value})
    elif name == "certificatePoints":
        api.ok("rule/update", {"id": ids.course, "points": str(value)})
    elif name == "clearCertificate":
        api.ok("userScore/clear", {"gameObjectId": ids.certificate})
    elif name == "rebuildCertificate":
        api.ok("certificate/rebuild", {"id": ids.certificate, "revokeUnearned": value})
    elif name == "setCertificateScore":
        user, score = value
        target = {"gameObjectId": ids.certificate, "gameObjectType": "certificate", "userId": user}
        answer = v3.call("game_userscore", "update", {**target, "score": score})
        assert answer.get("objectType") != "KalturaAPIException", answer
    elif name == "deleteCertificateScore":
        target = {"gameObjectId": ids.certificate, "gameObjectType": "certificate", "userId": value}
        v3.call("game_userscore", "delete", target)
    else:
        api.ok("userScore/clear", {"gameObjectId": board})


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=14))
@example(
    operations=[
        ("profile", ("ann", "hide.com")),
        ("events", [{"eventType": "pollAnswered", "userId": "ann", "pollId": "p1", "playTime": 0}]),
    ]
)
@example(
    operations=[
        ("profile", ("ann", "hide.com")),
        ("events", [{"eventType": "pollAnswered", "userId": "ann", "pollId": "p1", "playTime": 0}]),
        ("policy", "do_not_save"),
        ("events", [{"eventType": "pollAnswered", "userId": "ann", "pollId": "p2", "playTime": 0}]),
        ("deleteProfile", "ann"),
        ("events", [{"eventType": "pollAnswered", "userId": "ann", "pollId": "p3", "playTime": 0}]),
        ("newRule", 2),
        ("events", [{"eventType": "viewPeriod", "userId": "bob", "pollId": "p1", "playTime": 65}]),
        ("setScore", ("bob", 7)),
        ("csv", [("bob", 5), ("cid", 3)]),
        ("deleteScore", "cid"),
        ("points", 4),
        ("events", [{"eventType": "pollAnswered", "userId": "dan", "pollId": "p1", "playTime": 0}]),
        ("clear", None),
        ("events", [{"eventType": "pollAnswered", "userId": "bob", "pollId": "p2", "playTime": 0}]),
    ]
)
@example(
    operations=[
        ("events", [{"eventType": "pollAnswered", "userId": "ann", "pollId": "p1", "playTime": 0}]),
        ("events", [{"eventType": "viewPeriod", "userId": "ann", "pollId": "p1", "playTime": 70}]),
        ("badgeGoal", 1),  # ann now meets both rules: achieved when the rule changes
        ("events", [{"eventType": "viewPeriod", "userId": "bob", "pollId": "p1", "playTime": 65}]),
        ("badgeRuleStatus", "disabled"),
        ("events", [{"eventType": "pollAnswered", "userId": "cid", "pollId": "p2", "playTime": 0}]),
        ("checkpoint", "follower"),
        ("rebuildBadge", True),
        ("clearBadge", None),
        ("events", [{"eventType": "pollAnswered", "userId": "dan", "pollId": "p3", "playTime": 0}]),
    ]
)
@example(
    operations=[
        ("events", [{"eventType": "pollAnswered", "userId": "bob", "pollId": "p1", "playTime": 0}]),
        ("clearCertificate", None),
        ("events", [{"eventType": "pollAnswered", "userId": "ann", "pollId": "p1", "playTime": 0}]),
        ("certificatePoints", 5),
        ("events", [{"eventType": "pollAnswered", "userId": "ann", "pollId": "p2", "playTime": 0}]),
        ("checkpoint", "writer"),
        ("events", [{"eventType": "pollAnswered", "userId": "ann", "pollId": "p3", "playTime": 0}]),
        ("rebuildCertificate", False),  # ann: 15 credits recomputed, certified still
        ("events", [{"eventType": "pollAnswered", "userId": "bob", "pollId": "p1", "playTime": 0}]),
        ("rebuildCertificate", True),  # ann's certificate revoked; bob's 5 credits carried by the entry
        ("certificatePoints", 15),
        ("setCertificateScore", ("bob", 12)),  # booked as 7 "manual" points
        ("events", [{"eventType": "pollAnswered", "userId": "bob", "pollId": "p2", "playTime": 0}]),
        ("deleteCertificateScore", "ann"),
    ]
)
def test_replaying_the_log_from_empty_equals_the_stored_and_the_followed_state(
    app_client: TestClient, engine: Engine, settings: Any, new_partner: Any, operations: list[Any]
) -> None:
    partner = new_partner()
    api = Api(app_client, partner.ks)
    v3 = V3(app_client, partner.ks)
    ids = _setup(api)
    board = ids.board
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other_client:
        follower = Api(other_client, partner.ks)
        follower.ok("userScore/list", {"gameObjectId": board})  # the second process loads the state now
        for step, op in enumerate(operations):
            if op[0] == "checkpoint":
                client = app_client if op[1] == "writer" else other_client
                state = client.app.state  # type: ignore[attr-defined]
                checkpoint.bring_up(engine, state.live, partner.id)
                continue
            _run(api, v3, ids, step, op)
        follower.ok("userScore/list", {"gameObjectId": board})  # ... and follows the log since
        followed = snapshot(other_client.app.state.live.partner(partner.id))  # type: ignore[attr-defined]
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert verdict.same, verdict.differences
    assert verdict.unverified == []  # every rebuild entry carries what it wrote
    with read_transaction(engine) as conn, LiveState().reading(conn, partner.id) as stored:
        assert followed == snapshot(stored)
    # Written up to the log, the tables alone hold that state.
    checkpoint_partner(engine, partner.id)
    with read_transaction(engine) as conn:
        assert checkpoints.read(conn, partner.id) == event_log.last_seq(conn, partner.id)
        assert verify(conn, partner.id).same
