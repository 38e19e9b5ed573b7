"""A follower catching up over an events entry and a later change of the profile of a user that entry credits
through a numeric userIdOverride value loads instead (the entry was scored with the profile as it was)."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.projection.live import LiveState
from gameservices.projection.replay import snapshot, verify
from gameservices.storage.database import read_transaction
from tests.api import guide_bodies as guide
from tests.conftest import Api

IN_WINDOW = {"eventTime": "2025-06-02T10:00:00Z", "virtualEventId": guide.VIRTUAL_EVENT_ID}
NO_SAVE = {
    "userDefaultPolicy": "display",
    "policies": [{"policy": "do_not_save", "matchCriteria": "byEmailDomain", "values": ["nosave.com"]}],
}


def test_follower_catch_up_with_a_numeric_override_recipient(
    app_client: TestClient, engine: Engine, settings: Any, new_partner: Any
) -> None:
    partner = new_partner()
    api = Api(app_client, partner.ks)
    board = api.ok(
        "leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled", "participationPolicy": NO_SAVE}
    )["id"]
    api.ok(
        "rule/create",
        {
            "gameObjectType": "leaderboard",
            "gameObjectId": board,
            "name": "Liked",
            "mode": "distribute_points",
            "conditions": [{"fact": "eventType", "operator": "equal", "value": "like"}],
            "type": "count",
            "metric": "authorId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "5",
            "maxPoints": "unlimited",
            "userIdOverride": "authorId",
        },
    )
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other_client:
        follower = Api(other_client, partner.ks)
        follower.ok("userScore/list", {"gameObjectId": board})  # the follower loads the partner now
        # User "42" has no profile: credited (saved) when the like is scored.
        api.ok(
            "event/send", {"events": [{"eventType": "like", "userId": "ann", "authorId": 42, **IN_WINDOW}]}
        )
        assert [o["userId"] for o in api.ok("userScore/list", {"gameObjectId": board})["objects"]] == ["42"]
        # Later, 42's profile puts them under do_not_save (from now on only).
        api.ok("userProfile/upsert", {"userId": "42", "email": "x@nosave.com"})
        # The follower catches up over both entries.
        seen = follower.ok("userScore/list", {"gameObjectId": board})["objects"]
        followed = snapshot(other_client.app.state.live.partner(partner.id))  # type: ignore[attr-defined]
    with read_transaction(engine) as conn:
        assert verify(conn, partner.id).same
        with LiveState().reading(conn, partner.id) as stored:
            expected = snapshot(stored)
    assert [o["userId"] for o in seen] == ["42"], seen
    assert followed == expected
