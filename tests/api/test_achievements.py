"""Badges, certificates and lead scoring through API v1: the guide's 15.2, 15.3, 15.5, 15.8 and 15.9 replayed
with events, against values worked out by hand in each test."""

from typing import Any

from sqlalchemy import Engine

from gameservices.projection.replay import verify
from gameservices.storage.database import read_transaction
from tests.api import guide_bodies as guide
from tests.conftest import Api

CATEGORY = "cat-api"


def at(minute: int) -> str:
    return f"2025-06-02T10:{minute:02d}:00.000Z"


def view(
    user: str, entry: str, seconds: int, minute: int, category: str = CATEGORY, **extra: Any
) -> dict[str, Any]:
    return {
        "eventType": "viewPeriod",
        "userId": user,
        "entryId": entry,
        "playTime": seconds,
        "categories": [category, "other"],
        "eventTime": at(minute),
        **extra,
    }


def quiz(user: str, minute: int, category: str = CATEGORY) -> dict[str, Any]:
    return {"eventType": "quizSubmitted", "userId": user, "categories": category, "eventTime": at(minute)}


def api_expert_badge(api: Api) -> dict[str, Any]:
    """Guide 15.9: content (8 unique entries of the category) and the certification quiz."""
    in_category = {"fact": "categories", "operator": "in", "value": CATEGORY}
    badge: dict[str, Any] = api.ok(
        "badge/create",
        {
            "name": "API Expert",
            "description": "Complete all API training courses and pass the certification quiz",
            "virtualEventIds": [guide.VIRTUAL_EVENT_ID],
            "iconUrl": "https://example.com/badges/api-expert.png",
            "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
            "rules": [
                {
                    "name": "Complete API training courses",
                    "conditions": [
                        {"fact": "eventType", "operator": "equal", "value": "viewPeriod"},
                        in_category,
                    ],
                    "type": "countUnique",
                    "metric": "entryId",
                    "groupBy": "kuserId",
                    "goal": "8",
                    "points": "1",
                    "maxPoints": "1",
                },
                {
                    "name": "Pass API certification quiz",
                    "conditions": [
                        {"fact": "eventType", "operator": "equal", "value": "quizSubmitted"},
                        in_category,
                    ],
                    "type": "count",
                    "metric": "kuserId",
                    "groupBy": "kuserId",
                    "goal": "1",
                    "points": "1",
                    "maxPoints": "1",
                },
            ],
        },
    )
    return badge


def badge_rows(api: Api, badge_id: str, **filters: Any) -> dict[str, Any]:
    answer = api.ok(
        "userBadge/list", {"gameObjectId": badge_id, "pager": {"pageSize": 100, "pageIndex": 1}, **filters}
    )
    return {row["userId"]: row for row in answer["objects"]}


def test_guide_15_9_badge_progress_and_achievement(api: Api) -> None:
    badge = api_expert_badge(api)
    courses, quiz_rule = (rule["id"] for rule in badge["rules"])
    events = [view("ada", f"course{n}", 30, n) for n in range(8)] + [quiz("ada", 20)]
    events += [view("bob", f"course{n}", 30, n) for n in range(8)] + [view("bob", "course0", 30, 9)]
    events += [view("cyd", f"course{n}", 30, n) for n in range(5)]
    events += [view("cyd", f"elsewhere{n}", 30, n, category="cat-other") for n in range(3)] + [
        quiz("cyd", 30, "cat-other")
    ]
    result = api.ok("event/send", {"events": events})
    assert result["accepted"] == len(events)
    rows = badge_rows(api, badge["id"])
    assert rows["ada"]["status"] == "ACHIEVED" and rows["ada"]["achievedTimestamp"] == at(20)
    assert rows["ada"]["rulesData"] == [
        {"id": courses, "progress": 8, "completed": True},
        {"id": quiz_rule, "progress": 1, "completed": True},
    ]
    assert rows["bob"]["status"] == "IN_PROGRESS" and rows["bob"]["achievedTimestamp"] is None
    assert rows["bob"]["rulesData"] == [
        {"id": courses, "progress": 8, "completed": True},
        {"id": quiz_rule, "progress": 0, "completed": False},
    ]
    assert rows["cyd"]["rulesData"][0] == {"id": courses, "progress": 5, "completed": False}
    assert set(badge_rows(api, badge["id"], statusEqual="ACHIEVED")) == {"ada"}
    assert set(badge_rows(api, badge["id"], userIdEqual="bob")) == {"bob"}
    # A rule added later: who achieved the badge keeps it, the others need the new rule too.
    api.ok(
        "rule/create",
        {
            "gameObjectType": "badge",
            "gameObjectId": badge["id"],
            "name": "Comment once",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "comment"}],
            "type": "count",
            "mode": "distribute_points",
            "metric": "kuserId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "1",
        },
    )
    api.ok("event/send", {"events": [quiz("bob", 40)]})
    rows = badge_rows(api, badge["id"])
    assert rows["ada"]["status"] == "ACHIEVED" and rows["ada"]["achievedTimestamp"] == at(20)
    assert rows["bob"]["status"] == "IN_PROGRESS" and len(rows["bob"]["rulesData"]) == 3
    # Disabling the new rule re-evaluates: bob now meets every enabled rule.
    comment_rule = api.ok("badge/get", {"id": badge["id"]})["rules"][2]["id"]
    api.ok("rule/update", {"id": comment_rule, "status": "disabled"})
    assert badge_rows(api, badge["id"])["bob"]["status"] == "ACHIEVED"


def test_guide_15_8_security_badge_with_leaderboard(api: Api) -> None:
    leaderboard = api.ok(
        "leaderboard/create",
        {
            **guide.leaderboard_4_2(),
            "status": "enabled",
            "startDate": "2025-04-01T00:00:00Z",
            "endDate": "2025-06-30T23:59:59Z",
        },
    )
    api.ok(
        "rule/create",
        {
            "gameObjectType": "leaderboard",
            "gameObjectId": leaderboard["id"],
            "name": "IT Security module completion",
            "conditions": [
                {"fact": "eventType", "operator": "equal", "value": "viewPeriod"},
                {"fact": "categories", "operator": "in", "value": "cat-sec"},
            ],
            "type": "sum",
            "mode": "distribute_points",
            "metric": "playTime",
            "groupBy": "kuserId,entryId",
            "goal": "60",
            "points": "20",
            "maxPoints": "100",
        },
    )
    security = {"fact": "categories", "operator": "in", "value": "cat-sec"}
    badge = api.ok(
        "badge/create",
        {
            "name": "Security Certified",
            "virtualEventIds": [guide.VIRTUAL_EVENT_ID],
            "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
            "rules": [
                {
                    "name": "Watch all IT security sessions",
                    "type": "countUnique",
                    "metric": "entryId",
                    "conditions": [
                        {"fact": "eventType", "operator": "equal", "value": "viewPeriod"},
                        security,
                    ],
                    "groupBy": "kuserId",
                    "goal": "5",
                    "points": "1",
                    "maxPoints": "1",
                },
                {
                    "name": "Pass IT security quiz",
                    "type": "count",
                    "metric": "kuserId",
                    "conditions": [
                        {"fact": "eventType", "operator": "equal", "value": "quizSubmitted"},
                        security,
                    ],
                    "groupBy": "kuserId",
                    "goal": "1",
                    "points": "1",
                    "maxPoints": "1",
                },
            ],
        },
    )
    # Five security sessions of 400 s each: 20 points per minute per session, capped at 100 → 500 points.
    events = [view("new.hire", f"sec{n}", 400, n, category="cat-sec") for n in range(5)] + [
        quiz("new.hire", 9, "cat-sec")
    ]
    api.ok("event/send", {"events": events})
    assert api.ok("userScore/get", {"gameObjectId": leaderboard["id"], "userId": "new.hire"})["score"] == 500
    assert badge_rows(api, badge["id"])["new.hire"]["achievedTimestamp"] == at(9)
    # The badge's own rules give one point each: its userScore is 2.
    assert api.ok("userScore/get", {"gameObjectId": badge["id"], "userId": "new.hire"})["score"] == 2


def certificate_with_rule(
    api: Api, eligibility: str, threshold: float, rule: dict[str, Any], mapping: str
) -> tuple[str, str]:
    body = {
        **guide.certificate_8_2(),
        "certificateEligibility": eligibility,
        "certifiedCreditsThreshold": threshold,
        "participationPolicy": {
            "userDefaultPolicy": "display",
            "policies": [{"policy": "do_not_save", "matchCriteria": "byGroup", "values": ["speakers"]}],
        },
    }
    certificate = api.ok("certificate/create", body)["id"]
    rule_id = api.ok("rule/create", {**rule, "gameObjectType": "certificate", "gameObjectId": certificate})[
        "id"
    ]
    api.ok(
        "certificate/update",
        {"id": certificate, "status": "enabled", "creditsMapping": mapping.format(rule=rule_id)},
    )
    return certificate, rule_id


def certificate_rows(api: Api, certificate: str, **filters: Any) -> list[dict[str, Any]]:
    body = {"gameObjectId": certificate, "pager": {"pageSize": 100, "pageIndex": 1}, **filters}
    rows: list[dict[str, Any]] = api.ok("userCertificateReport/list", body)["objects"]
    return rows


def test_guide_15_2_tiered_certificate(api: Api) -> None:
    rule = {
        "name": "Watch training module",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
        "type": "sum",
        "mode": "distribute_points",
        "metric": "playTime",
        "groupBy": "kuserId,entryId",
        "goal": "60",
        "points": "1",
        "maxPoints": "unlimited",
        "reportFormat": "default",
    }
    certificate, rule_id = certificate_with_rule(api, "once", 3, rule, "credits,{rule}\n10.0,1\n11.5,2")
    # ann: 70 s on m1 → 1 point → 10 credits; ben: 60 s on m1 and 130 s on m2 → 3 points → 11.5; cal: 50 s → 0.
    api.ok(
        "event/send",
        {
            "events": [
                view("ann", "m1", 70, 1),
                view("ben", "m1", 60, 2),
                view("ben", "m2", 130, 5),
                view("cal", "m1", 50, 3),
            ]
        },
    )
    rows = {row["userId"]: row for row in certificate_rows(api, certificate)}
    assert (rows["ann"]["credits"], rows["ann"]["status"], rows["ann"]["certificationDate"]) == (
        10,
        "CERTIFIED",
        at(1),
    )
    assert (rows["ben"]["credits"], rows["ben"]["status"], rows["ben"]["certificationDate"]) == (
        11.5,
        "CERTIFIED",
        at(2),
    )
    assert rows["ben"]["rulesData"] == [{"id": rule_id, "score": 3, "progress": 190}]
    assert "cal" not in rows  # listed once a certificate rule gave points
    assert all(row["entryId"] is None for row in rows.values())
    assert [row["userId"] for row in certificate_rows(api, certificate, status="CERTIFIED")] == ["ann", "ben"]


def test_guide_15_5_per_entry_cpe_credits(api: Api, partner: Any, engine: Engine) -> None:
    rule = {
        "name": "CPE session watch time",
        "conditions": [
            {"fact": "eventType", "operator": "equal", "value": "viewPeriod"},
            {"fact": "categories", "operator": "in", "value": CATEGORY},
        ],
        "type": "sum",
        "mode": "distribute_points",
        "metric": "playTime",
        "groupBy": "kuserId,entryId",
        "goal": "60",
        "points": "1",
        "maxPoints": "unlimited",
        "reportFormat": "in_minutes",
    }
    certificate, _ = certificate_with_rule(api, "perEntry", 1, rule, "credits,{rule}\n1.0,1\n1.5,2\n2.0,3")
    api.ok("userProfile/create", {"userId": "speaker", "groups": ["speakers"]})
    events = [
        view("dee", "s1", 200, 1, entryName="Ethics in Audit"),  # 3 points → 2.0 credits
        view("dee", "s2", 100, 2, entryName="Tax Update 2025"),  # 1 point → 1.0
        view("dee", "s3", 59, 3, entryName="Short Talk"),  # 0 points → 0, in progress
        view("dee", "s4", 600, 4, category="not-accredited"),  # not in the category: nothing
        view("speaker", "s1", 600, 5),  # do_not_save: nothing
    ]
    api.ok("event/send", {"events": events})
    rows = certificate_rows(api, certificate)
    assert [
        (row["userId"], row["entryId"], row["entryName"], row["credits"], row["status"]) for row in rows
    ] == [
        ("dee", "s1", "Ethics in Audit", 2.0, "CERTIFIED"),
        ("dee", "s2", "Tax Update 2025", 1.0, "CERTIFIED"),
    ]
    api.ok("event/send", {"events": [view("dee", "s3", 61, 7)]})
    s3 = certificate_rows(api, certificate, entryId="s3")
    assert [(row["credits"], row["status"], row["certificationDate"]) for row in s3] == [
        (1.5, "CERTIFIED", at(7))  # 59 s + 61 s = 2 points → 1.5 credits, certified by the second event
    ]
    with read_transaction(engine) as conn:  # a replay of the log decides the same per-entry certificates
        verdict = verify(conn, partner.id)
    assert verdict.same and verdict.certificates == 3, verdict.differences


def test_guide_15_3_lead_scoring_groups(api: Api) -> None:
    # The window includes the profile changes too: they are events of the time they happen.
    lead = api.ok(
        "leadScoring/create",
        {
            **guide.lead_scoring_9_3(),
            "status": "enabled",
            "endDate": "2099-01-01T00:00:00Z",
            "scoreGroups": [
                {"name": "Top", "range": [1000, 99999]},
                {"name": "Mid", "range": [500, 999]},
                {"name": "Low", "range": [0, 499]},
            ],
        },
    )["id"]
    rules = [
        {
            "name": "Registration",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "registered"}],
            "type": "count",
            "metric": "kuserId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "50",
            "maxPoints": "50",
        },
        {
            "name": "Session viewership",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
            "type": "sum",
            "metric": "playTime",
            "groupBy": "kuserId,entryId",
            "goal": "60",
            "points": "10",
            "maxPoints": "unlimited",
        },
        {
            "name": "Job title",
            "conditions": [
                {"fact": "eventType", "operator": "equal", "value": "userProfile"},
                {"fact": "title", "operator": "equal", "value": "CTO"},
            ],
            "type": "count",
            "metric": "kuserId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "100",
            "maxPoints": "100",
        },
    ]
    for rule in rules:
        api.ok(
            "rule/create",
            {**rule, "gameObjectType": "leadScoring", "gameObjectId": lead, "mode": "distribute_points"},
        )
    # Registration at 50; 60 s of viewing = 10 points. eve is a CTO (100 profile points).
    users = {
        "eve@acme.com": 6000,
        "fay@acme.com": 3000,
        "gus@acme.com": 600,
        "hal@acme.com": 0,
        "ida@internal-company.com": 9000,
    }
    for user in users:
        api.ok(
            "userProfile/create",
            {
                "userId": user,
                "email": user,
                "profileData": {"title": "CTO" if user.startswith("eve") else "Engineer"},
            },
        )
    events = [{"eventType": "registered", "userId": user, "eventTime": at(0)} for user in users]
    events += [view(user, "keynote", seconds, 5) for user, seconds in users.items() if seconds]
    api.ok("event/send", {"events": events})
    # eve 50 + 1000 + 100 = 1150; fay 50 + 500 = 550; gus 50 + 100 = 150; hal 50; ida is internal: do_not_save.
    rows = api.ok("userLeadScoring/list", {"gameObjectId": lead, "pager": {"pageSize": 100, "pageIndex": 1}})[
        "objects"
    ]
    assert [
        (
            r["userId"],
            r["score"],
            r["rank"],
            r["scoreGroup"],
            r["percentile"],
            r["percentageGroup"],
            r["profileScore"],
            r["engagementScore"],
        )
        for r in rows
    ] == [
        ("eve@acme.com", 1150, 1, "Top", 100, "Hot Leads", 100, 1050),
        ("fay@acme.com", 550, 2, "Mid", 66.67, "Warm Leads", 0, 550),
        ("gus@acme.com", 150, 3, "Low", 33.33, "Cold Leads", 0, 150),
        ("hal@acme.com", 50, 4, "Low", 0, "Cold Leads", 0, 50),
    ]


def test_the_lists_of_one_kind_of_game_object_refuse_the_others(api: Api) -> None:
    leaderboard = api.ok(
        "leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled", "startDate": 0, "endDate": 4e9}
    )["id"]
    badge = api.ok("badge/create", guide.badge_7_1())["id"]
    api.ok(
        "rule/create",
        {
            **guide.badge_7_1()["rules"][0],
            "mode": "distribute_points",
            "gameObjectType": "leaderboard",
            "gameObjectId": leaderboard,
        },
    )
    api.ok("event/send", {"events": [view("u1", f"e{i}", 60, i) for i in range(3)]})
    lists = {
        "userBadge/list": "badge",
        "userCertificateReport/list": "certificate",
        "userLeadScoring/list": "leadScoring",
    }
    for action, kind in lists.items():
        status, error = api.call(action, {"gameObjectId": leaderboard})
        assert status == 400 and error["code"] == "VALIDATION_ERROR", (action, error)
        assert error["args"]["PARAM_NAME"] == "gameObjectId", (action, error)
        assert kind in error["message"] and "leaderboard" in error["message"], (action, error)
    status, error = api.call("userLeadScoring/list", {"gameObjectId": badge})
    assert status == 400 and error["args"]["PARAM_NAME"] == "gameObjectId"
    assert api.ok("userBadge/list", {"gameObjectId": badge})["totalCount"] == 1


def test_a_badge_update_decides_achievements_by_its_rules_once_all_are_written(
    api: Api, partner: Any, engine: Engine
) -> None:
    # The badge's rules are written one by one; deciding after each one judged users by a set of rules that
    # was never the badge's: [views, polls disabled, quizzes new] gave the badge to ann after the polls rule
    # went and before the quizzes rule came, though she has done only the views.
    body = guide.badge_7_1()
    views_rule = body["rules"][0]
    polls_rule = {**views_rule, "name": "Answer 3 polls", "metric": "pollId"}
    polls_rule["conditions"] = [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}]
    quiz_rule = {**polls_rule, "name": "Pass 3 quizzes"}
    quiz_rule["conditions"] = [{"fact": "eventType", "operator": "equal", "value": "quizPassed"}]
    badge = api.ok("badge/create", {**body, "status": "enabled", "rules": [views_rule, polls_rule]})
    views = [
        {"eventType": "viewPeriod", "userId": "ann", "entryId": f"e{n}", "playTime": 30, "eventTime": at(n)}
        for n in range(3)
    ]
    api.ok("event/send", {"events": views})  # ann completes the views rule only
    kept_views = {**views_rule, "id": badge["rules"][0]["id"]}
    kept_polls = {**polls_rule, "id": badge["rules"][1]["id"]}
    api.ok(
        "badge/update",
        {"id": badge["id"], "rules": [kept_views, {**kept_polls, "status": "disabled"}, quiz_rule]},
    )
    [row] = api.ok("userBadge/list", {"gameObjectId": badge["id"]})["objects"]
    assert row["status"] != "ACHIEVED"
    # Without the quizzes rule, the same update lets her achieve it, and the log's replay decides the same.
    api.ok("badge/update", {"id": badge["id"], "rules": [kept_views, {**kept_polls, "status": "disabled"}]})
    [row] = api.ok("userBadge/list", {"gameObjectId": badge["id"]})["objects"]
    assert row["status"] == "ACHIEVED"
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
    assert verdict.same, verdict.differences
