"""A webhook enabled again while a dispatcher is making deliveries gets every change committed after it was
enabled (docs/webhooks.md: "those committed after it was created (or last enabled) ... while it is enabled"), also
when that change is committed while the fan-out's transaction is under way (PostgreSQL; SQLite's write
transactions are serial)."""

import threading
from typing import Any

import pytest
from sqlalchemy import Engine

from gameservices.webhooks import fanout
from gameservices.webhooks.dispatcher import Dispatcher
from tests.api import guide_bodies as guide
from tests.conftest import POLL_RULE, Api
from tests.webhooks.receiver import Receiver

AT = 1_748_851_200  # within the guide's leaderboard window


def _answer(api: Api, user: str, poll: str) -> None:
    event = {"eventType": "pollAnswered", "userId": user, "pollId": poll, "eventTime": AT}
    assert api.ok("event/send", {"events": [event]})["accepted"] == 1


def test_a_change_committed_after_the_webhook_was_enabled_again_is_delivered(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher, own_engine: Engine, monkeypatch: Any
) -> None:
    if own_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock serialises the enable and the write after the fan-out")
    board = hook_api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    hook_api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    other = hook_api.ok("webhook/create", {"url": receiver.url + "/other", "eventTypes": ["score.changed"]})
    hook = hook_api.ok("webhook/create", {"url": receiver.url + "/hook", "eventTypes": ["score.changed"]})
    hook_api.ok("webhook/update", {"id": hook["id"], "status": "disabled"})
    _answer(hook_api, "while-off", "p1")  # the partner's feed is past its cursor

    read_enabled = fanout.webhooks.enabled_webhooks
    interleaved: list[bool] = []

    def enabled_then_enable_and_write(conn: Any, partner_id: int) -> Any:
        found = read_enabled(conn, partner_id)
        if not interleaved:
            interleaved.append(True)

            def enable_then_write() -> None:
                hook_api.ok("webhook/update", {"id": hook["id"], "status": "enabled"})
                _answer(hook_api, "after-enable", "p2")

            writer = threading.Thread(target=enable_then_write)
            writer.start()
            writer.join(30)
            assert not writer.is_alive(), "the enable or the write waited for the fan-out"
        return found

    monkeypatch.setattr(fanout.webhooks, "enabled_webhooks", enabled_then_enable_and_write)
    dispatcher.run_once()
    monkeypatch.undo()
    dispatcher.run_once()
    assert interleaved

    got_other = hook_api.ok("webhookDelivery/list", {"webhookId": other["id"]})["objects"]
    assert len(got_other) == 2  # both changes were taken by the fan-out
    got = hook_api.ok("webhookDelivery/list", {"webhookId": hook["id"]})["objects"]
    # The change of "after-enable" was committed after the webhook was enabled, while it was enabled.
    assert len(got) == 1, got
