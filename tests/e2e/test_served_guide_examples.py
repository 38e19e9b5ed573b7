"""End to end: ``gameservices serve`` in its own process on a fresh database, driven over real HTTP with the
guide's curl examples (sections 4.2–4.4, 5, 6.7, 6.8, 7.1, 7.3, 8.2–8.4, 9.3 and 13) and the printed demo KS."""

import json
from typing import Any

import httpx

from tests.api import guide_bodies as guide


def test_guide_examples_over_http(served: tuple[str, dict[str, Any]]) -> None:
    base, demo = served
    assert set(demo) == {"partnerId", "adminSecret", "ks"}
    # Exactly as curl sends them: POST, Bearer KS, JSON body.
    with httpx.Client(
        base_url=f"{base}/api/v1",
        headers={"Authorization": f"Bearer {demo['ks']}", "Content-Type": "application/json"},
        timeout=30,
    ) as http:

        def post(path: str, body: dict[str, Any]) -> Any:
            response = http.post(path, content=json.dumps(body))
            assert response.status_code == 200, (path, response.text)
            return response.json()

        leaderboard = post("/leaderboard/create", guide.leaderboard_4_2())
        assert {"id", "createdAt", "updatedAt"} <= set(leaderboard)
        assert post("/leaderboard/get", {"id": leaderboard["id"]}) == leaderboard
        assert (
            post("/leaderboard/update", {"id": leaderboard["id"], "status": "enabled"})["status"] == "enabled"
        )
        listed = post("/leaderboard/list", {"pager": {"pageSize": 10, "pageIndex": 1}})
        assert listed["totalCount"] == 1 and listed["objects"][0]["id"] == leaderboard["id"]
        post("/leaderboard/create", guide.leaderboard_4_4())
        post("/leaderboard/create", guide.leaderboard_5())
        rule = post("/rule/create", guide.rule_6_7(leaderboard["id"]))
        assert (
            post("/rule/list", {"gameObjectType": "leaderboard", "gameObjectId": leaderboard["id"]})[
                "totalCount"
            ]
            == 1
        )
        assert post("/rule/update", {"id": rule["id"], "status": "enabled"})["status"] == "enabled"
        post("/rule/create", guide.rule_6_8(leaderboard["id"]))
        assert post("/rule/delete", {"id": rule["id"]}) == {"id": rule["id"], "deleted": True}
        badge = post("/badge/create", guide.badge_7_1())
        assert post("/badge/get", {"id": badge["id"]})["rules"][0]["name"] == "Watch 3 sessions"
        assert post("/badge/list", {"pager": {"pageSize": 10, "pageIndex": 1}})["totalCount"] == 1
        certificate = post("/certificate/create", guide.certificate_8_2())
        certificate_rule = post("/rule/create", guide.certificate_rule_8_4(certificate["id"]))
        mapping = f"credits,{certificate_rule['id']}\n10.0,1\n11.5,2"
        updated = post(
            "/certificate/update", {"id": certificate["id"], "status": "enabled", "creditsMapping": mapping}
        )
        assert updated["creditsMapping"] == mapping
        lead = post("/leadScoring/create", guide.lead_scoring_9_3())
        post("/rule/create", guide.lead_scoring_rule_9_3(lead["id"]))
        post(
            "/scheduledGameObject/create",
            guide.schedule_13(leaderboard["id"], "enable", "2030-06-01T09:00:00Z"),
        )
        schedule = post(
            "/scheduledGameObject/create",
            guide.schedule_13(leaderboard["id"], "disable", "2030-06-03T18:00:00Z"),
        )
        assert (
            post("/scheduledGameObject/list", {"pager": {"pageSize": 10, "pageIndex": 1}})["totalCount"] == 2
        )
        assert post("/scheduledGameObject/delete", {"id": schedule["id"]})["deleted"] is True
        assert post("/badge/delete", {"id": badge["id"]}) == {"id": badge["id"], "deleted": True}
        assert post("/leaderboard/delete", {"id": leaderboard["id"]})["deleted"] is True
        assert http.post("/leaderboard/get", content=json.dumps({"id": leaderboard["id"]})).status_code == 404
        # curl -d without a content type is read as JSON too.
        bare = httpx.post(
            f"{base}/api/v1/leaderboard/list",
            headers={"Authorization": f"Bearer {demo['ks']}"},
            content=b'{"pager": {"pageSize": 10, "pageIndex": 1}}',
        )
        assert bare.status_code == 200 and bare.json()["totalCount"] == 2
        assert httpx.get(f"{base}/api/v1/openapi.json").json()["info"]["title"] == "gameservices"
