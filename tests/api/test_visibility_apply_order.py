"""A visibility change's in-memory apply runs after its commit; a catch-up woken by that commit may have applied
the entry (and later ones) first. The late apply must then do nothing, as event/send's does."""

from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from gameservices.api.app import create_app
from gameservices.projection.live import LiveState
from gameservices.projection.replay import snapshot
from gameservices.services.scoring import visibility
from gameservices.storage.database import read_transaction
from tests.api.test_checkpoint import IN_WINDOW
from tests.conftest import POLL_RULE, Api

POLICY = {
    "userDefaultPolicy": "display",
    "policies": [{"policy": "do_not_display", "matchCriteria": "byEmailDomain", "values": ["hide.com"]}],
}


def test_a_late_visibility_apply_does_not_undo_later_entries(
    app_client: TestClient, engine: Engine, settings: Any, partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(app_client, partner.ks)
    board = api.ok(
        "leaderboard/create",
        {
            "name": "Visible",
            "status": "enabled",
            "virtualEventIds": ["ve1"],
            "startDate": "2025-01-01T00:00:00Z",
            "endDate": "2099-01-01T00:00:00Z",
            "participationPolicy": POLICY,
        },
    )["id"]
    api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    api.ok(
        "event/send",
        {"events": [{"eventType": "pollAnswered", "userId": "ann", "pollId": "p1", **IN_WINDOW}]},
    )
    live = app_client.app.state.live  # type: ignore[attr-defined]
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as other:
        second = Api(other, partner.ks)
        real_after_commit = visibility.after_commit
        armed = [True]

        def interleaved(conn: Any, action: Any) -> None:
            if not armed[0]:
                real_after_commit(conn, action)
                return
            armed[0] = False

            def late() -> None:
                # Between this process's commit and its apply: another process shows ann again, and this
                # process's listener, woken by those commits, catches its state up.
                second.ok("userProfile/upsert", {"userId": "ann", "email": "ann@a.com"})
                live.follow(engine, [partner.id])
                action()

            real_after_commit(conn, late)

        monkeypatch.setattr(visibility, "after_commit", interleaved)
        api.ok("userProfile/upsert", {"userId": "ann", "email": "ann@hide.com"})  # hides ann
    with read_transaction(engine) as conn, LiveState().reading(conn, partner.id) as fresh:
        expected = snapshot(fresh)
    with read_transaction(engine) as conn, live.reading(conn, partner.id) as state:
        assert snapshot(state)[1] == expected[1]
