"""Leaderboard answers against the contract: ranks of displayed users with hidden ones listed
(`includeHidden`), the virtual-event filter taking the ids as entities hold them, and scores set by hand through
API v3 (a user the policy saves no data of is refused; a set that changes nothing keeps the user's place among
those tied with them)."""

from typing import Any

from sqlalchemy import Engine
from starlette.testclient import TestClient

from gameservices.projection.replay import verify
from gameservices.storage.database import read_transaction
from tests.api import guide_bodies as guide
from tests.api.v3_client import V3
from tests.conftest import POLL_RULE, Api, Partner

IN_WINDOW = {"eventTime": "2025-06-01T10:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID}


def board(api: Api, policy: dict[str, Any] | None = None, **extra: Any) -> str:
    body = {**guide.leaderboard_4_4(), "status": "enabled", **extra}
    if policy is not None:
        body["participationPolicy"] = policy
    lb: str = api.ok("leaderboard/create", body)["id"]
    api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": lb})
    return lb


def polls(api: Api, user: str, count: int, start: int = 0) -> None:
    events = [
        {"eventType": "pollAnswered", "userId": user, "pollId": f"p{start + i}", **IN_WINDOW}
        for i in range(count)
    ]
    api.ok("event/send", {"events": events})


HIDE_SPEAKERS = {
    "userDefaultPolicy": "display",
    "policies": [{"policy": "do_not_display", "matchCriteria": "byGroup", "values": ["speakers"]}],
}


def test_include_hidden_keeps_displayed_users_true_ranks(api: Api) -> None:
    lb = board(api, HIDE_SPEAKERS)
    api.ok("userProfile/create", {"userId": "spk", "groups": ["speakers"]})
    polls(api, "spk", 3)
    polls(api, "ann", 2)
    polls(api, "bob", 1)
    plain = api.ok("userScore/list", {"gameObjectId": lb})["objects"]
    assert [(o["userId"], o["rank"]) for o in plain] == [("ann", 1), ("bob", 2)]
    shown = api.ok("userScore/list", {"gameObjectId": lb, "includeHidden": True})["objects"]
    ranks = {o["userId"]: o["rank"] for o in shown}
    # DESIGN 4: do_not_display users are "not in the ranked list or in others' ranks"
    assert ranks["ann"] == 1 and ranks["bob"] == 2, shown
    # and a hidden user's rank is null, as userScore/get answers it
    got = api.ok("userScore/get", {"gameObjectId": lb, "userId": "spk"})
    assert ranks["spk"] == got["rank"], (shown, got)


def test_include_hidden_with_a_user_gives_that_users_neighbourhood(api: Api) -> None:
    lb = board(api, HIDE_SPEAKERS)
    api.ok("userProfile/create", {"userId": "spk", "groups": ["speakers"]})
    polls(api, "top", 5)
    polls(api, "spk", 4)
    polls(api, "ann", 3)
    polls(api, "bob", 2)
    polls(api, "cid", 1)

    def around(user: str, above: int, below: int) -> list[tuple[str, int | None]]:
        body = {
            "gameObjectId": lb,
            "includeHidden": True,
            "userIdEqual": user,
            "placesAboveUser": above,
            "placesBelowUser": below,
        }
        answer = api.ok("userScore/list", body)
        assert answer["totalCount"] == 5
        return [(o["userId"], o["rank"]) for o in answer["objects"]]

    assert around("ann", 1, 1) == [("spk", None), ("ann", 2), ("bob", 3)]
    assert around("spk", 0, 0) == [("spk", None)]
    assert around("top", 3, 1) == [("top", 1), ("spk", None)]
    assert around("nobody", 1, 1) == []


def test_leaderboard_list_virtual_event_id_in_takes_the_int_ids_the_entity_has(api: Api) -> None:
    # Guide 4.1: virtualEventIds | int[]; create takes ints (guide 4.4 body), so the list filter must too.
    created = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "virtualEventIds": [777]})
    status, listed = api.call("leaderboard/list", {"filter": {"virtualEventIdIn": [777]}})
    assert status == 200, listed
    assert [o["id"] for o in listed["objects"]] == [created["id"]]


def test_v3_update_of_a_do_not_save_user_is_refused(api: Api, app_client: TestClient) -> None:
    v3 = V3(app_client, api.ks)
    policy = {
        "userDefaultPolicy": "display",
        "policies": [{"policy": "do_not_save", "matchCriteria": "byEmailDomain", "values": ["internal.com"]}],
    }
    lb = board(api, policy)
    api.ok("userProfile/create", {"userId": "staff", "email": "staff@internal.com"})
    polls(api, "staff", 2)
    polls(api, "ann", 1)
    assert [o["userId"] for o in api.ok("userScore/list", {"gameObjectId": lb})["objects"]] == ["ann"]
    params = {"gameObjectId": lb, "gameObjectType": "1", "userId": "staff", "score": 50}
    refused = v3.call("game_userscore", "update", params)
    assert refused.get("objectType") == "KalturaAPIException", refused
    # Guide 5: do_not_save = "User does not participate; no data collected"
    listed = api.ok("userScore/list", {"gameObjectId": lb})["objects"]
    assert [o["userId"] for o in listed] == ["ann"], listed


def test_v3_update_to_the_same_score_keeps_the_rank(
    api: Api, app_client: TestClient, partner: Partner, engine: Engine
) -> None:
    v3 = V3(app_client, api.ks)
    lb = board(api)
    polls(api, "ann", 2)
    polls(api, "bob", 2)
    before = [(o["userId"], o["rank"]) for o in api.ok("userScore/list", {"gameObjectId": lb})["objects"]]
    v3.call(
        "game_userscore",
        "update",
        {"gameObjectId": lb, "gameObjectType": "1", "userId": before[0][0], "score": 20},
    )
    after = [(o["userId"], o["rank"]) for o in api.ok("userScore/list", {"gameObjectId": lb})["objects"]]
    # DESIGN 4: ties rank by "the time the user reached that score"; nobody reached anything new
    assert after == before
    with read_transaction(engine) as conn:
        verdict = verify(conn, partner.id)
        assert verdict.same, verdict.differences
