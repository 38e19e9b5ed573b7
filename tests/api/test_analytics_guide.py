"""The guide's 15.1 conference program scored from the player's beacons equals the same program fed the
equivalent ``viewPeriod`` events through ``event/send``."""

from typing import Any

from fastapi.testclient import TestClient

from tests.api.beacons import send_beacon, view_beacon
from tests.api.test_analytics import around_now
from tests.conftest import Api, Partner

VIRTUAL_EVENT = "7001"
VIEW = [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}]
RULES = [
    ("Watch sessions", "viewPeriod", "sum", "playTime", "kuserId,entryId", "60", "10", "100"),
    ("Answer polls", "pollAnswered", "count", "pollId", "kuserId", "1", "25", "unlimited"),
    ("Chat messages", "comment", "count", "comment", "kuserId", "1", "5", "50"),
]
UP_TO_90 = [10.0 * n for n in range(1, 10)]
# (user, entry, playTimeSum of each VIEW); ann pauses over 30 s in 0_e0 and the player resets its counters.
SESSIONS: list[tuple[str, str, list[float]]] = [
    ("ann", "0_e0", [10.0, 20.0, 30.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]),
    *(("ann", f"0_e{n}", UP_TO_90) for n in range(1, 10)),
    *(("bob", f"0_e{n}", UP_TO_90[:6]) for n in range(1, 4)),
    ("dave@internal.com", "0_e1", [10.0 * n for n in range(1, 13)]),  # internal: not saved on the leaderboard
    ("carl", "0_other", UP_TO_90),  # an entry of another virtual event
]
ENTRIES = {**{f"0_e{n}": VIRTUAL_EVENT for n in range(10)}, "0_other": "9999"}
OTHER_EVENTS = [
    *({"eventType": "pollAnswered", "userId": "ann", "pollId": f"p{n}"} for n in range(3)),
    *({"eventType": "comment", "userId": "ann", "comment": f"c{n}"} for n in range(12)),
    {"eventType": "pollAnswered", "userId": "bob", "pollId": "p0"},
]


def conference(api: Api) -> dict[str, str]:
    """Guide 15.1 (dates around now, as beacons score at their receipt time): leaderboard, three rules, badge."""
    policy = {
        "userDefaultPolicy": "display",
        "policies": [{"policy": "do_not_save", "matchCriteria": "byEmailDomain", "values": ["internal.com"]}],
    }
    board = api.ok(
        "leaderboard/create",
        {
            "objectType": "Leaderboard",
            "name": "Conference 2025",
            "status": "scheduled",
            **around_now(),
            "participationPolicy": policy,
            "subLeaderboards": [{"name": "By Country", "filterPaths": ["country"], "id": 0}],
            "virtualEventIds": [VIRTUAL_EVENT],
        },
    )["id"]
    for name, event_type, kind, metric, group_by, goal, points, cap in RULES:
        api.ok(
            "rule/create",
            {
                "gameObjectType": "leaderboard",
                "gameObjectId": board,
                "name": name,
                "conditions": [{"fact": "eventType", "operator": "equal", "value": event_type}],
                "type": kind,
                "mode": "distribute_points",
                "metric": metric,
                "groupBy": group_by,
                "goal": goal,
                "points": points,
                "maxPoints": cap,
            },
        )
    badge = api.ok(
        "badge/create",
        {
            "name": "Power Attendee",
            "description": "Watch 10 sessions",
            "virtualEventIds": [VIRTUAL_EVENT],
            "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
            "rules": [
                {
                    "name": "Watch 10 unique sessions",
                    "conditions": VIEW,
                    "type": "countUnique",
                    "metric": "entryId",
                    "groupBy": "kuserId",
                    "goal": "10",
                    "points": "1",
                    "maxPoints": "1",
                }
            ],
        },
    )["id"]
    api.ok("leaderboard/update", {"id": board, "status": "enabled"})
    for user, country in (("ann", "FR"), ("bob", "DE"), ("dave@internal.com", "US")):
        api.ok(
            "userProfile/create",
            {"userId": user, "email": user if "@" in user else None, "profileData": {"country": country}},
        )
    return {"leaderboard": board, "badge": badge}


def fed_by_beacons(client: TestClient, api: Api, partner: Partner) -> None:
    for entry_id, virtual_event in ENTRIES.items():
        api.ok("entry/upsert", {"entryId": entry_id, "virtualEventId": virtual_event})
    for number, (user, entry, sums) in enumerate(SESSIONS):
        session = f"session-{number}"
        opening = {
            "partnerId": partner.id,
            "entryId": entry,
            "sessionId": session,
            "userId": user,
            "position": 0,
        }
        send_beacon(client, {**opening, "eventType": 1, "eventIndex": 1})
        send_beacon(client, {**opening, "eventType": 3, "eventIndex": 2}, method="GET")
        for index, play_time_sum in enumerate(sums, start=3):
            method = "GET" if index % 2 else "POST"
            send_beacon(
                client, view_beacon(partner.id, user, entry, session, index, play_time_sum), method=method
            )
    send_beacon(client, view_beacon(partner.id, "", "0_e1", "anonymous", 1, 10.0))
    api.ok("event/send", {"events": OTHER_EVENTS})


def fed_by_events(api: Api) -> None:
    events: list[dict[str, Any]] = []
    for user, entry, sums in SESSIONS:
        previous = 0.0
        for play_time_sum in sums:
            increase = play_time_sum if play_time_sum < previous else play_time_sum - previous
            previous = play_time_sum
            events.append(
                {
                    "eventType": "viewPeriod",
                    "userId": user,
                    "entryId": entry,
                    "playTime": increase,
                    "virtualEventId": ENTRIES[entry],
                }
            )
    api.ok("event/send", {"events": events})
    api.ok("event/send", {"events": OTHER_EVENTS})


def standings(api: Api, objects: dict[str, str]) -> dict[str, Any]:
    """Everything the two programs must agree on: ranks, scores, sub-leaderboard ranks and rule progress."""
    seen: dict[str, Any] = {}
    for kind, object_id in objects.items():
        listed = api.ok("userScore/list", {"gameObjectId": object_id, "pager": {"pageSize": 100}})["objects"]
        seen[kind] = [(item["userId"], item["score"], item["rank"]) for item in listed]
        for user in ("ann", "bob", "carl", "dave@internal.com"):
            progress = api.ok("userScore/ruleProgress", {"gameObjectId": object_id, "userId": user})[
                "objects"
            ]
            seen[f"{kind}/{user}"] = [(item["name"], item["progress"], item["score"]) for item in progress]
    options = api.ok("userScore/getSubGameOptions", {"gameObjectId": objects["leaderboard"], "subGameId": 0})
    seen["countries"] = sorted(str(sorted(item.items())) for item in options["objects"])
    return seen


def test_15_1_from_beacons_equals_event_send(app_client: TestClient, new_partner: Any) -> None:
    by_beacons: Partner = new_partner("beacons")
    by_events: Partner = new_partner("events")
    beacon_api, event_api = Api(app_client, by_beacons.ks), Api(app_client, by_events.ks)
    beacon_objects, event_objects = conference(beacon_api), conference(event_api)
    fed_by_beacons(app_client, beacon_api, by_beacons)
    fed_by_events(event_api)
    from_beacons, from_events = standings(beacon_api, beacon_objects), standings(event_api, event_objects)
    assert from_beacons == from_events
    # And both are what the guide's rules give by hand: ann 10 entries x 10 (cap 100) + 3 polls + 50 of chat.
    assert from_beacons["leaderboard"] == [("ann", 225, 1), ("bob", 55, 2)]
    assert from_beacons["badge"] == [("ann", 1, 1)]
