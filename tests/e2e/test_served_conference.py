"""Guide 15.1 over real HTTP: a conference program (leaderboard, three rules, a badge) fed with a generated
stream of viewPeriod / pollAnswered / comment events for 200 users, against scores computed in the test."""

from collections import defaultdict
from typing import Any

import httpx

from tests.api import guide_bodies as guide
from tests.api.test_event_scoring import COUNTRIES, expected_scores, generate_stream, ranked, user_email
from tests.conftest import Api


class HttpApi(Api):
    """The test helper's calls, over a real connection."""

    def __init__(self, base: str, ks: str) -> None:
        self.http = httpx.Client(
            base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {ks}"}, timeout=60
        )

    def call(
        self, path: str, body: Any = None, *, ks: str | None = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        response = self.http.post(f"/{path}", json=body if body is not None else {})
        return response.status_code, response.json()


def test_conference_program_over_http(served: tuple[str, dict[str, Any]]) -> None:
    from tests.api.test_event_scoring import conference, create_profiles, listed, send_in_batches

    base, demo = served
    api = HttpApi(base, demo["ks"])
    leaderboard = conference(api)
    badge = api.ok(
        "badge/create",
        {
            "name": "Power Attendee",
            "description": "Watch 10 sessions",
            "virtualEventIds": [guide.VIRTUAL_EVENT_ID],
            "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
            "rules": [
                {
                    "name": "Watch 10 unique sessions",
                    "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
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
    create_profiles(api)
    stream = generate_stream(seed=15, events=4000)
    send_in_batches(api, stream, 100)
    expected = expected_scores(stream)
    objects = listed(api, leaderboard)
    assert [(item["userId"], item["score"], item["rank"]) for item in objects] == [
        (user, score, rank) for rank, (user, score) in enumerate(ranked(expected), start=1)
    ]
    entries: dict[str, set[str]] = defaultdict(set)
    for event in stream:
        if event["eventType"] == "viewPeriod":
            entries[event["userId"]].add(event["entryId"])
    badge_holders = sorted(user for user, seen in entries.items() if len(seen) >= 10)
    assert sorted(item["userId"] for item in listed(api, badge)) == badge_holders
    assert {item["score"] for item in listed(api, badge)} <= {1}
    standings = api.ok("userScore/list", {"gameObjectId": leaderboard, "subGameProperties": {"id": 0}})[
        "objects"
    ]
    totals: dict[str, int] = defaultdict(int)
    for user, (score, _) in expected.items():
        totals[COUNTRIES[int(user[4:7]) % 4]] += score
    assert {item["option"]: item["score"] for item in standings} == dict(totals)
    assert user_email(17) not in {item["userId"] for item in objects}
