"""The dispatcher disabling a webhook (410 Gone) changes its status alone: a rotateSecret (or an update) sent
between its read of the webhook and that write waits for the dispatcher's transaction (which locked the webhook's
row first) and then stays (PostgreSQL; SQLite's write transactions are serial)."""

import threading
from typing import Any

import pytest
from sqlalchemy import Engine

from gameservices.storage import webhooks as webhook_repository
from gameservices.webhooks.dispatcher import Dispatcher
from tests.conftest import Api
from tests.webhooks.conftest import Clock
from tests.webhooks.receiver import Receiver


def test_a_rotation_committed_while_the_dispatcher_disables_the_webhook_is_kept(
    hook_api: Api,
    receiver: Receiver,
    dispatcher: Dispatcher,
    clock: Clock,
    own_engine: Engine,
    monkeypatch: Any,
) -> None:
    if own_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock serialises the rotation after the recording")
    hook = hook_api.ok("webhook/create", {"url": receiver.url, "eventTypes": ["score.changed"]})
    receiver.answer(500, 410)
    hook_api.ok("webhook/test", {"id": hook["id"]})
    assert dispatcher.run_once() == 1  # 500: failing since now
    clock.advance(6)

    read = webhook_repository.get_webhook
    rotated: dict[str, Any] = {}

    rotating: list[threading.Thread] = []

    def read_then_rotate(conn: Any, *, partner_id: int, webhook_id: str, lock: bool = False) -> Any:
        found = read(conn, partner_id=partner_id, webhook_id=webhook_id, lock=lock)
        if not rotating:
            # The administrator rotates the secret right after the dispatcher read the webhook.
            rotation = threading.Thread(
                target=lambda: rotated.update(hook_api.ok("webhook/rotateSecret", {"id": hook["id"]}))
            )
            rotating.append(rotation)
            rotation.start()
            rotation.join(0.5)  # (it waits for the dispatcher's transaction)
        return found

    monkeypatch.setattr(webhook_repository, "get_webhook", read_then_rotate)
    assert dispatcher.run_once() == 1  # 410 Gone: the dispatcher disables the webhook
    monkeypatch.setattr(webhook_repository, "get_webhook", read)
    rotating[0].join(10)
    assert not rotating[0].is_alive()
    now = hook_api.ok("webhook/get", {"id": hook["id"]})
    assert now["status"] == "disabled"
    # The rotation answered 200 with a new secret and an overlap end: both must still be stored.
    assert now["previousSecretExpiresAt"] == rotated["previousSecretExpiresAt"], now
