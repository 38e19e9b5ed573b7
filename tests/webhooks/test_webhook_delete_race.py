"""A webhook deleted while a dispatcher fans out a change takes the deliveries made for it along (PostgreSQL: the
delete waits for the fan-out's transaction; SQLite's write transactions are serial)."""

import threading
from typing import Any

import pytest
from sqlalchemy import Engine, select

from gameservices.storage import webhooks as webhook_repository
from gameservices.storage.database import read_transaction
from gameservices.storage.schema import webhook_deliveries
from gameservices.webhooks import fanout
from gameservices.webhooks.dispatcher import Dispatcher
from tests.api import guide_bodies as guide
from tests.conftest import POLL_RULE, Api
from tests.webhooks.receiver import Receiver

AT = 1_748_851_200


def test_deleting_a_webhook_during_a_fan_out_leaves_no_delivery(
    hook_api: Api, receiver: Receiver, dispatcher: Dispatcher, own_engine: Engine, monkeypatch: Any
) -> None:
    if own_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock serialises the delete after the fan-out")
    board = hook_api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    hook_api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    hook = hook_api.ok("webhook/create", {"url": receiver.url, "eventTypes": ["score.changed"]})
    hook_api.ok(
        "event/send",
        {"events": [{"eventType": "pollAnswered", "userId": "ann", "pollId": "p", "eventTime": AT}]},
    )

    read_hooks = webhook_repository.enabled_webhooks

    deleting: list[threading.Thread] = []

    def enabled_then_deleted(conn: Any, partner_id: int) -> Any:
        hooks = read_hooks(conn, partner_id)
        # The administrator's webhook/delete comes right after the dispatcher read the webhooks: it commits
        # there unless it waits for the fan-out's transaction to end.
        deleting.append(threading.Thread(target=hook_api.ok, args=("webhook/delete", {"id": hook["id"]})))
        deleting[0].start()
        deleting[0].join(1.0)
        return hooks

    monkeypatch.setattr(webhook_repository, "enabled_webhooks", enabled_then_deleted)
    fanout.fan_out(own_engine, 0)
    monkeypatch.setattr(webhook_repository, "enabled_webhooks", read_hooks)
    deleting[0].join(10)
    assert not deleting[0].is_alive()
    with read_transaction(own_engine) as conn:
        left = conn.execute(
            select(webhook_deliveries.c.id, webhook_deliveries.c.status).where(
                webhook_deliveries.c.webhook_id == hook["id"]
            )
        ).all()
    listed = hook_api.ok("webhookDelivery/list", {"webhookId": hook["id"]})
    # docs/webhooks.md: webhook/delete -> "its deliveries go with it".
    assert left == [], f"deliveries of the deleted webhook remain: {left}; listed: {listed['totalCount']}"
