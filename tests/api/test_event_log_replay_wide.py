"""`db replay --verify` and a follower process under the API's other writes: random sequences of recurring
leaderboard period closes (by hand and scheduled), recurrence and participation policy changes, profile upserts,
deletes and CSV imports, rule and leaderboard delete/re-create, status and date changes, badge rule updates,
clones, deletes and rebuilds, API v3 score sets and deletes, leaderboard rebuilds, entry durations read by a cap,
CSV score imports and checkpoints written by either process. After each sequence the replay of the log equals the
tables (before and after a checkpoint), and the second process's state equals a fresh load (the narrower
property, with certificates and manual changes, is tests/api/test_event_log_replay.py)."""

import time
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.domain.timefmt import format_ms
from gameservices.projection.checkpoint import bring_up, checkpoint_partner
from gameservices.projection.live import LiveState
from gameservices.projection.replay import snapshot, verify
from gameservices.storage.database import read_transaction
from tests.api import guide_bodies as guide
from tests.api.test_period_close import close_every_due
from tests.api.v3_client import V3
from tests.conftest import POLL_RULE, Api

USERS = ["ann", "bob", "cid"]
DAY = 86_400_000
IN_WINDOW = {"eventTime": "2025-06-02T10:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID}
HIDE = {
    "userDefaultPolicy": "display",
    "policies": [{"policy": "do_not_display", "matchCriteria": "byEmailDomain", "values": ["hide.com"]}],
}
SHOW = {"userDefaultPolicy": "display", "policies": []}


def points_rule(object_id: str, object_type: str = "leaderboard") -> dict[str, Any]:
    return {
        "gameObjectType": object_type,
        "gameObjectId": object_id,
        "name": "Points",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "act"}],
        "type": "sum",
        "mode": "distribute_points",
        "metric": "points",
        "groupBy": "kuserId",
        "goal": "1",
        "points": "1",
        "maxPoints": "unlimited",
    }


BADGE_RULES = [
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
        "name": "Acts",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "act"}],
        "type": "sum",
        "metric": "points",
        "groupBy": "kuserId",
        "goal": "5",
        "points": "1",
        "maxPoints": "1",
    },
]


class World:
    """A partner with a recurring and a plain leaderboard, two badges and a certificate, and the operations run
    on them."""

    def __init__(self, api: Api, v3: V3, engine: Engine, live: LiveState, partner_id: int) -> None:
        self.api, self.v3, self.engine, self.live, self.partner_id = api, v3, engine, live, partner_id
        self.other: Any = None  # the second process's client (checkpoints from either side)
        now = int(time.time() * 1000)
        self.now = now
        body = guide.leaderboard_4_2()
        body.update(
            status="enabled",
            startDate=format_ms(now - 365 * DAY),
            endDate=format_ms(now + 365 * DAY),
            participationPolicy=HIDE,
            recurrence={
                "unit": "day",
                "interval": 1,
                "anchor": format_ms(now - 3 * DAY + 3_600_000)[:19],
                "timezone": "UTC",
                "graceSeconds": 60,
            },
        )
        self.rec = api.ok("leaderboard/create", body)
        self.rec_rule = api.ok("rule/create", points_rule(self.rec["id"]))["id"]
        self.board = self._new_board()
        badge = api.ok(
            "badge/create",
            {"name": "B", "virtualEventIds": [guide.VIRTUAL_EVENT_ID], "rules": BADGE_RULES},
        )
        self.badge = badge["id"]
        self.badge_rules = [r["id"] for r in badge["rules"]]
        podium = api.ok(
            "badge/create",
            {
                "name": "Podium",
                "rules": [
                    {
                        "name": "Podium",
                        "conditions": [
                            {"fact": "eventType", "operator": "equal", "value": "leaderboardPeriodEnd"},
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
        self.podium = podium["id"]
        self.certificate = api.ok(
            "certificate/create",
            {**guide.certificate_8_2(), "status": "enabled", "certifiedCreditsThreshold": 20},
        )["id"]
        api.ok(
            "rule/create", {**POLL_RULE, "gameObjectType": "certificate", "gameObjectId": self.certificate}
        )

    def _new_board(self) -> str:
        board: str = self.api.ok(
            "leaderboard/create",
            {**guide.leaderboard_4_2(), "status": "enabled", "participationPolicy": HIDE},
        )["id"]
        self.board_rule: str | None = self.api.ok(
            "rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board}
        )["id"]
        self.api.ok("rule/create", points_rule(board))
        self.api.ok(
            "rule/create",
            {
                "gameObjectType": "leaderboard",
                "gameObjectId": board,
                "name": "minutes",
                "mode": "distribute_points",
                "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
                "type": "count",
                "metric": "playTime",
                "groupBy": "kuserId",
                "goal": "1",
                "points": "4",
                "maxPoints": "duration,inMinutesMultiplyByPoints",
            },
        )
        self.api.ok(
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
        return board

    def run(self, step: int, op: tuple[str, Any]) -> None:
        api, v3 = self.api, self.v3
        name, value = op
        if name == "polls":
            api.ok(
                "event/send",
                {
                    "events": [
                        {"eventType": "pollAnswered", "userId": u, "pollId": p, **IN_WINDOW} for u, p in value
                    ]
                },
            )
        elif name == "acts":
            api.ok(
                "event/send",
                {
                    "events": [
                        {
                            "eventType": "act",
                            "userId": u,
                            "points": pts,
                            "eventTime": (self.now + back) / 1000,
                            "virtualEventId": guide.VIRTUAL_EVENT_ID,
                        }
                        for u, pts, back in value
                    ]
                },
            )
        elif name == "views":
            events = []
            for u, entry, duration in value:
                event = {
                    "eventType": "viewPeriod",
                    "userId": u,
                    "entryId": entry,
                    "playTime": 10,
                    **IN_WINDOW,
                }
                if duration is not None:
                    event["duration"] = duration
                events.append(event)
            api.ok("event/send", {"events": events})
        elif name == "entryUpsert":
            entry, duration = value
            api.ok("entry/upsert", {"entryId": entry, "duration": duration})
        elif name == "entryDelete":
            api.call("entry/delete", {"entryId": value})
        elif name == "checkpoint":
            client = api.client if value == "writer" else self.other
            bring_up(self.engine, client.app.state.live, self.partner_id)
        elif name == "csv":
            rows = "".join(f"{u},{score}\n" for u, score in value[1])
            up = api.client.post(
                "/api/v1/event/sendExternalEventsFromCSV",
                headers={"Authorization": f"Bearer {api.ks}"},
                data={"eventAction": value[0]},
                files={"csvFile": ("s.csv", f"UserID,bonus\n{rows}".encode(), "text/csv")},
            )
            assert up.status_code == 200, up.text
        elif name == "close":
            status, error = api.call("leaderboard/closePeriod", {"id": self.rec["id"]})
            assert status == 200 or error["code"] == "VALIDATION_ERROR", error
        elif name == "scheduledClose":
            close_every_due(self.engine, self.live, now=self.now + value)
        elif name == "recurrence":
            api.ok(
                "leaderboard/update",
                {"id": self.rec["id"], "recurrence": {**self.rec["recurrence"], "interval": value}},
            )
        elif name == "recPolicy":
            api.ok(
                "leaderboard/update", {"id": self.rec["id"], "participationPolicy": HIDE if value else SHOW}
            )
        elif name == "boardPolicy":
            api.ok("leaderboard/update", {"id": self.board, "participationPolicy": HIDE if value else SHOW})
        elif name == "profile":
            user, hidden = value
            api.ok(
                "userProfile/upsert",
                {"userId": user, "email": f"{user}{step}@{'hide' if hidden else 'a'}.com"},
            )
        elif name == "deleteProfile":
            api.call("userProfile/delete", {"userId": value})
        elif name == "profileCsv":
            rows = "".join(f"{u},{u}{step}@{'hide' if h else 'a'}.com\n" for u, h in value)
            response = api.client.post(
                "/api/v1/userProfile/importFromCSV",
                files={"csvFile": ("p.csv", f"userId,email\n{rows}".encode(), "text/csv")},
                headers={"Authorization": f"Bearer {api.ks}"},
            )
            assert response.status_code == 200, response.text
        elif name == "deleteRule":
            if self.board_rule is not None:
                api.ok("rule/delete", {"id": self.board_rule})
                self.board_rule = None
            else:
                self.board_rule = api.ok(
                    "rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": self.board}
                )["id"]
        elif name == "ruleStatus":
            if self.board_rule is not None:
                api.ok("rule/update", {"id": self.board_rule, "status": value})
        elif name == "recreateBoard":
            api.ok("leaderboard/delete", {"id": self.board})
            self.board = self._new_board()
        elif name == "boardStatus":
            api.ok("leaderboard/update", {"id": self.board, "status": value})
        elif name == "boardDates":
            api.ok(
                "leaderboard/update",
                {"id": self.board, "startDate": value[0], "endDate": value[1]},
            )
        elif name == "badgeUpdate":
            rules = [{**BADGE_RULES[0], "id": self.badge_rules[0], "goal": str(value)}]
            got = api.ok("badge/update", {"id": self.badge, "rules": rules})
            self.badge_rules = [r["id"] for r in got["rules"]]
            if len(self.badge_rules) == 1:
                got = api.ok("badge/update", {"id": self.badge, "rules": [*rules, BADGE_RULES[1]]})
                self.badge_rules = [r["id"] for r in got["rules"]]
        elif name == "badgeStatus":
            api.ok("badge/update", {"id": self.badge, "status": value})
        elif name == "cloneBadge":
            clone = api.ok("badge/clone", {"id": self.badge})
            api.ok("badge/update", {"id": clone["id"], "status": "enabled"})
        elif name == "deleteBadge":
            api.ok("badge/delete", {"id": self.badge})
            badge = api.ok(
                "badge/create",
                {"name": "B", "virtualEventIds": [guide.VIRTUAL_EVENT_ID], "rules": BADGE_RULES},
            )
            self.badge = badge["id"]
            self.badge_rules = [r["id"] for r in badge["rules"]]
        elif name == "setRec":
            user, score = value
            v3.call(
                "game_userscore",
                "update",
                {"gameObjectId": self.rec["id"], "gameObjectType": "1", "userId": user, "score": score},
            )
        elif name == "deleteRec":
            v3.call(
                "game_userscore",
                "delete",
                {"gameObjectId": self.rec["id"], "gameObjectType": "1", "userId": value},
            )
        elif name == "setBoard":
            user, score = value
            v3.call(
                "game_userscore",
                "update",
                {"gameObjectId": self.board, "gameObjectType": "1", "userId": user, "score": score},
            )
        elif name == "rebuild":
            target = {"rec": self.rec["id"], "board": self.board}[value]
            api.ok("leaderboard/rebuild", {"id": target})
        elif name == "rebuildBadge":
            api.ok("badge/rebuild", {"id": self.badge, "revokeUnearned": value})
        elif name == "clearRec":
            api.ok("userScore/clear", {"gameObjectId": self.rec["id"]})
        else:
            raise AssertionError(name)


user = st.sampled_from(USERS)
operation = st.one_of(
    st.tuples(
        st.just("views"),
        st.lists(
            st.tuples(user, st.sampled_from(["e1", "e2"]), st.sampled_from([None, 0, 60, 150])),
            min_size=1,
            max_size=4,
        ),
    ),
    st.tuples(
        st.just("entryUpsert"), st.tuples(st.sampled_from(["e1", "e2"]), st.sampled_from([None, 60, 300]))
    ),
    st.tuples(st.just("entryDelete"), st.sampled_from(["e1", "e2"])),
    st.tuples(st.just("checkpoint"), st.sampled_from(["writer", "follower"])),
    st.tuples(
        st.just("csv"),
        st.tuples(
            st.sampled_from(["delta", "upsert"]),
            st.lists(st.tuples(user, st.integers(0, 30)), min_size=1, max_size=3),
        ),
    ),
    st.tuples(
        st.just("polls"),
        st.lists(st.tuples(user, st.sampled_from(["p1", "p2", "p3"])), min_size=1, max_size=4),
    ),
    st.tuples(
        st.just("acts"),
        st.lists(st.tuples(user, st.integers(1, 9), st.integers(-4 * DAY, 0)), min_size=1, max_size=4),
    ),
    st.tuples(st.just("close"), st.none()),
    st.tuples(st.just("scheduledClose"), st.integers(0, 2 * DAY)),
    st.tuples(st.just("recurrence"), st.integers(1, 2)),
    st.tuples(st.just("recPolicy"), st.booleans()),
    st.tuples(st.just("boardPolicy"), st.booleans()),
    st.tuples(st.just("profile"), st.tuples(user, st.booleans())),
    st.tuples(st.just("deleteProfile"), user),
    # (a user id once per file: userProfile/importFromCSV refuses a file naming one on two rows)
    st.tuples(
        st.just("profileCsv"),
        st.lists(st.tuples(user, st.booleans()), min_size=1, max_size=3, unique_by=lambda row: row[0]),
    ),
    st.tuples(st.just("deleteRule"), st.none()),
    st.tuples(st.just("ruleStatus"), st.sampled_from(["enabled", "disabled"])),
    st.tuples(st.just("recreateBoard"), st.none()),
    st.tuples(st.just("boardStatus"), st.sampled_from(["enabled", "disabled"])),
    st.tuples(
        st.just("boardDates"),
        st.sampled_from(
            [
                ("2025-06-01T09:00:00Z", "2025-06-03T18:00:00Z"),
                ("2025-06-02T11:00:00Z", "2025-06-03T18:00:00Z"),
                ("2025-06-01T09:00:00Z", "2025-06-02T09:00:00Z"),
            ]
        ),
    ),
    st.tuples(st.just("badgeUpdate"), st.integers(1, 3)),
    st.tuples(st.just("badgeStatus"), st.sampled_from(["enabled", "disabled"])),
    st.tuples(st.just("cloneBadge"), st.none()),
    st.tuples(st.just("deleteBadge"), st.none()),
    st.tuples(st.just("setRec"), st.tuples(user, st.integers(0, 50))),
    st.tuples(st.just("deleteRec"), user),
    st.tuples(st.just("setBoard"), st.tuples(user, st.integers(0, 50))),
    st.tuples(st.just("rebuild"), st.sampled_from(["rec", "board"])),
    st.tuples(st.just("rebuildBadge"), st.booleans()),
    st.tuples(st.just("clearRec"), st.none()),
)


def check(engine: Engine, partner_id: int, followed: Any) -> None:
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner_id)
    assert verdict.same, verdict.differences
    with read_transaction(engine) as conn, LiveState().reading(conn, partner_id) as stored:
        assert followed == snapshot(stored)
    checkpoint_partner(engine, partner_id)
    with read_transaction(engine) as conn:
        assert verify(conn, partner_id).same


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=14))
@example(  # a scored user hidden by a profile change, shown again by a policy change, then closed periods
    operations=[
        ("acts", [("ann", 5, 0), ("bob", 3, 0)]),
        ("polls", [("ann", "p1")]),
        ("profile", ("ann", True)),
        ("checkpoint", "follower"),
        ("boardPolicy", False),
        ("close", None),
        ("setRec", ("bob", 7)),
        ("rebuild", "board"),
    ]
)
def test_replay_and_a_follower_agree_with_the_tables(
    app_client: TestClient, engine: Engine, settings: Any, new_partner: Any, operations: list[Any]
) -> None:
    partner = new_partner()
    api = Api(app_client, partner.ks)
    world = World(api, V3(app_client, partner.ks), engine, app_client.app.state.live, partner.id)  # type: ignore[attr-defined]
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other_client:
        follower = Api(other_client, partner.ks)
        follower.ok("userScore/list", {"gameObjectId": world.rec["id"]})
        world.other = other_client
        for step, op in enumerate(operations):
            world.run(step, op)
        follower.ok("userScore/list", {"gameObjectId": world.rec["id"]})
        followed = snapshot(other_client.app.state.live.partner(partner.id))  # type: ignore[attr-defined]
    check(engine, partner.id, followed)
