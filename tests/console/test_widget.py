"""The rank widget: frame-ancestors from the partner's allow-list, and a user's own rank with a USER KS."""

from typing import Any

from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner
from tests.console.conftest import ConsoleClient


def _board(api: Api) -> str:
    body = {
        **guide.leaderboard_4_2(),
        "status": "enabled",
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": "2040-01-01T00:00:00Z",
    }
    object_id: str = api.ok("leaderboard/create", body)["id"]
    api.ok("rule/create", {**guide.rule_6_7(object_id), "maxPoints": "1000"})
    for index, user in enumerate(("ann", "ben", "cal")):
        event = {
            "eventType": "viewPeriod",
            "userId": user,
            "entryId": "e",
            "playTime": 60 * (index + 1),
            "eventId": f"w{index}",
            "virtualEventId": guide.VIRTUAL_EVENT_ID,
        }
        api.ok("event/send", {"events": [event]})
    return object_id


def test_the_widget_may_be_framed_only_by_the_allowed_origins(
    console: ConsoleClient, partner: Partner
) -> None:
    page = console.get(f"/widget/rank?partnerId={partner.id}&gameObjectId=x")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    saved = console.post("/console/widget", {"origins": "https://events.example.org\nhttp://127.0.0.1:8080/"})
    assert saved.status_code == 200
    page = console.get(f"/widget/rank?partnerId={partner.id}&gameObjectId=x")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors http://127.0.0.1:8080 https://events.example.org" in policy
    assert "x-frame-options" not in page.headers
    refused = console.post("/console/widget", {"origins": "https://a.example; script-src *"})
    assert refused.status_code == 400 and "is not an origin" in refused.text


def test_a_user_ks_sees_its_own_rank_and_its_neighbours_scores(
    app_client: Any, api: Api, partner: Partner
) -> None:
    object_id = _board(api)
    ks = partner.mint(type=0, user_id="ben")
    answer = app_client.get(
        f"/widget/rank/data?gameObjectId={object_id}", headers={"Authorization": f"Bearer {ks}"}
    )
    assert answer.status_code == 200
    assert 'id="my-rank">2<' in answer.text
    assert "ann" not in answer.text and "cal" not in answer.text  # neighbours by rank and score only


def test_the_widget_data_needs_a_valid_ks_of_the_objects_partner(
    app_client: Any, api: Api, new_partner: Any
) -> None:
    object_id = _board(api)
    assert app_client.get(f"/widget/rank/data?gameObjectId={object_id}").status_code == 401
    other: Partner = new_partner("other")
    ks = other.mint(type=0, user_id="ben")
    foreign = app_client.get(
        f"/widget/rank/data?gameObjectId={object_id}", headers={"Authorization": f"Bearer {ks}"}
    )
    assert foreign.status_code == 404


def test_the_widget_page_names_a_bad_parameter_with_a_400(app_client: Any, partner: Partner) -> None:
    # The page takes no KS: a missing or bad parameter is not answered as a missing KS.
    for query, field in (
        ("gameObjectId=x", "partnerId"),
        (f"partnerId={partner.id}", "gameObjectId"),
        ("partnerId=0&gameObjectId=x", "partnerId"),
        ("partnerId=abc&gameObjectId=x", "partnerId"),
        (f"partnerId={partner.id}&gameObjectId={'x' * 65}", "gameObjectId"),
    ):
        answer = app_client.get(f"/widget/rank?{query}")
        assert answer.status_code == 400, query
        assert answer.json()["objectType"] == "KalturaAPIException"
        assert answer.json()["args"]["PARAM_NAME"].endswith(field)


def test_a_hidden_user_sees_their_own_score_without_a_rank(
    app_client: Any, api: Api, partner: Partner
) -> None:
    object_id = _board(api)
    hide = {"policy": "do_not_display", "matchCriteria": "byGroup", "values": ["speakers"]}
    policy = {"userDefaultPolicy": "display", "policies": [hide]}
    api.ok("leaderboard/update", {"id": object_id, "participationPolicy": policy})
    api.ok("userProfile/create", {"userId": "dan", "email": "dan@example.org", "groups": ["speakers"]})
    event = {
        "eventType": "viewPeriod",
        "userId": "dan",
        "entryId": "e",
        "playTime": 600,
        "eventId": "w-dan",
        "virtualEventId": guide.VIRTUAL_EVENT_ID,
    }
    api.ok("event/send", {"events": [event]})
    score = api.ok("userScore/get", {"gameObjectId": object_id, "userId": "dan"})
    assert score["hidden"] is True and score["rank"] is None
    ks = partner.mint(type=0, user_id="dan")
    answer = app_client.get(
        f"/widget/rank/data?gameObjectId={object_id}", headers={"Authorization": f"Bearer {ks}"}
    )
    assert answer.status_code == 200
    assert "No score yet" not in answer.text
    assert f'id="my-score">{score["score"]}<' in answer.text and 'id="my-rank"' not in answer.text


def test_a_refused_ks_is_not_echoed_by_the_widget_but_still_by_the_api(
    app_client: Any, api: Api, partner: Partner
) -> None:
    object_id = _board(api)
    genuine = partner.mint(type=0, user_id="ben")
    expired = partner.mint(type=0, user_id="ben", expiry_seconds=-60)
    for ks, reason in (
        (genuine[:-6] + "AAAAAA", "INVALID_STR"),
        (expired, "EXPIRED"),
        ("x" * 300, "INVALID_STR"),
    ):
        answer = app_client.get(
            f"/widget/rank/data?gameObjectId={object_id}", headers={"Authorization": f"Bearer {ks}"}
        )
        assert answer.status_code == 401, answer.text
        assert f"Invalid KS: {reason}" in answer.text and ks not in answer.text and ks[:40] not in answer.text
        # API v1 answers in Kaltura's format, the KS quoted in the message.
        status, body = api.call("leaderboard/get", {"id": object_id}, ks=ks)
        assert (status, body["code"]) == (401, "INVALID_KS") and ks in body["message"]
