"""Request bodies taken from the guide's curl examples (variables filled in by the tests)."""

from typing import Any

VIRTUAL_EVENT_ID = "12345"


def leaderboard_4_2() -> dict[str, Any]:
    """Guide 4.2: create a leaderboard."""
    return {
        "objectType": "Leaderboard",
        "name": "Conference Engagement",
        "description": "Points for session attendance, polls, and chat",
        "status": "scheduled",
        "startDate": "2025-06-01T09:00:00.000Z",
        "endDate": "2025-06-03T18:00:00.000Z",
        "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
        "virtualEventIds": [VIRTUAL_EVENT_ID],
    }


def leaderboard_4_4() -> dict[str, Any]:
    """Guide 4.4: a leaderboard with sub-leaderboards."""
    return {
        "objectType": "Leaderboard",
        "name": "Regional Competition",
        "status": "scheduled",
        "startDate": "2025-06-01T00:00:00Z",
        "endDate": "2025-06-02T00:00:00Z",
        "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
        "virtualEventIds": [VIRTUAL_EVENT_ID],
        "subLeaderboards": [
            {"name": "By Country", "filterPaths": ["country"], "id": 0},
            {"name": "By Company", "filterPaths": ["company"], "id": 1},
        ],
    }


def leaderboard_5() -> dict[str, Any]:
    """Guide 5: participation policies."""
    return {
        "objectType": "Leaderboard",
        "name": "External Only",
        "status": "scheduled",
        "startDate": "2025-06-01T00:00:00Z",
        "endDate": "2025-06-02T00:00:00Z",
        "participationPolicy": {
            "userDefaultPolicy": "display",
            "policies": [
                {
                    "policy": "do_not_save",
                    "matchCriteria": "byEmailDomain",
                    "values": ["internal-company.com"],
                },
                {"policy": "do_not_display", "matchCriteria": "byGroup", "values": ["speakers"]},
            ],
        },
        "virtualEventIds": [VIRTUAL_EVENT_ID],
    }


def rule_6_7(leaderboard_id: str) -> dict[str, Any]:
    """Guide 6.7: a watch-time rule."""
    return {
        "gameObjectType": "leaderboard",
        "gameObjectId": leaderboard_id,
        "name": "Watch sessions",
        "description": "10 points per 60 seconds watched",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
        "type": "sum",
        "mode": "distribute_points",
        "metric": "playTime",
        "groupBy": "kuserId,entryId",
        "goal": "60",
        "points": "10",
        "maxPoints": "100",
        "reportFormat": "default",
    }


def rule_6_8(leaderboard_id: str) -> dict[str, Any]:
    """Guide 6.8: upvotes with a capping sub-rule."""
    return {
        "gameObjectType": "leaderboard",
        "gameObjectId": leaderboard_id,
        "name": "Upvotes on comments",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "like"}],
        "type": "count",
        "mode": "distribute_points",
        "metric": "like",
        "groupBy": "kuserId,entryId",
        "goal": "1",
        "points": "20",
        "maxPoints": "100",
        "subRules": [
            {
                "name": "Cap at 5 upvotes",
                "type": "count",
                "metric": "commentId",
                "groupBy": "kuserId",
                "goal": "1",
                "maxPoints": "5",
                "mode": "block_root_rule_if_exhausted",
            }
        ],
    }


def badge_7_1() -> dict[str, Any]:
    """Guide 7.1: a badge with an inline rule."""
    return {
        "name": "Session Attendee",
        "description": "Attend 3 sessions to earn this badge",
        "virtualEventIds": [VIRTUAL_EVENT_ID],
        "iconUrl": "https://example.com/badges/attendee.png",
        "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
        "rules": [
            {
                "name": "Watch 3 sessions",
                "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
                "type": "countUnique",
                "metric": "entryId",
                "groupBy": "kuserId",
                "goal": "3",
                "points": "1",
                "maxPoints": "1",
            }
        ],
    }


def certificate_8_2() -> dict[str, Any]:
    """Guide 8.2: a certificate with its PDF template."""
    return {
        "name": "CPE Certificate",
        "description": "Continuing Professional Education",
        "status": "disabled",
        "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
        "externalId": "PROGRAM-12345",
        "certificateEligibility": "once",
        "certifiedCreditsThreshold": 3,
        "host": "https://mysite.events.kaltura.com",
        "outputFileConfiguration": {
            "outputFileElements": [
                {"url": "https://cfvod.kaltura.com/p/100/thumbnail/entry_id/0_bg/width/1397/height/1080"},
                {"textElementType": "userFullName", "fontSize": 30, "y": 440},
                {"textElementType": "entryName", "fontSize": 30, "y": 570},
                {"textElementType": "credits", "fontSize": 23, "x": 1060, "y": 699},
                {"textElementType": "certificationDate", "fontSize": 18, "x": 695, "y": 636},
            ]
        },
    }


def certificate_rule_8_4(certificate_id: str) -> dict[str, Any]:
    """Guide 8.4: a certificate rule."""
    return {
        "gameObjectType": "certificate",
        "gameObjectId": certificate_id,
        "name": "Watch session",
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


def lead_scoring_9_3() -> dict[str, Any]:
    """Guide 9.3: a lead-scoring profile."""
    return {
        "name": "Event Lead Scoring",
        "description": "Score attendees by engagement",
        "status": "scheduled",
        "startDate": "2025-06-01T00:00:00Z",
        "endDate": "2025-06-03T23:59:59Z",
        "participationPolicy": {
            "userDefaultPolicy": "display",
            "policies": [
                {
                    "policy": "do_not_save",
                    "matchCriteria": "byEmailDomain",
                    "values": ["internal-company.com"],
                }
            ],
        },
        "scoreGroups": [
            {"name": "Top Score Leads", "range": [1000, 99999]},
            {"name": "Mid Score Leads", "range": [500, 999]},
            {"name": "Low Score Leads", "range": [0, 499]},
        ],
        "virtualEventIds": [VIRTUAL_EVENT_ID],
    }


def lead_scoring_rule_9_3(lead_scoring_id: str) -> dict[str, Any]:
    """Guide 9.3: a lead-scoring rule."""
    return {
        "gameObjectType": "leadScoring",
        "gameObjectId": lead_scoring_id,
        "name": "Session viewership",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
        "type": "sum",
        "mode": "distribute_points",
        "metric": "playTime",
        "groupBy": "kuserId,entryId",
        "goal": "60",
        "points": "10",
        "maxPoints": "unlimited",
        "reportFormat": "default",
    }


def schedule_13(leaderboard_id: str, action: str, date: str) -> dict[str, Any]:
    """Guide 13: a scheduled transition."""
    return {
        "gameObjectType": "leaderboard",
        "gameObjectId": leaderboard_id,
        "scheduledAction": action,
        "scheduledDate": date,
    }
