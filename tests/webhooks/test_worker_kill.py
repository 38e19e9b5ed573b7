"""A ``gameservices worker`` killed (SIGKILL) while its attempts are under way loses no delivery: once their
leases run out another worker sends them again, with the same ``webhook-id``; what it had not sent yet is sent
once."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine

from gameservices.webhooks.dispatcher import PER_WEBHOOK
from tests.conftest import Api
from tests.webhooks.receiver import Receiver

WORKER = ["-c", "import typer; from gameservices.cli.worker import worker; typer.run(worker)"]
MESSAGES = 12


def _worker(engine: Engine, directory: Path, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GAMESERVICES_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "GAMESERVICES_ALLOW_PRIVATE_WEBHOOKS": "true",
        "GAMESERVICES_WEBHOOK_LEASE_SECONDS": "2",
    }
    with (directory / f"{name}.out").open("w") as out, (directory / f"{name}.err").open("w") as err:
        return subprocess.Popen([sys.executable, *WORKER], env=env, stdout=out, stderr=err)


def _wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_worker_killed_mid_delivery_loses_nothing(
    hook_api: Api, receiver: Receiver, own_engine: Engine, tmp_path: Path
) -> None:
    hook = hook_api.ok("webhook/create", {"url": receiver.url, "eventTypes": ["score.changed"]})
    queued = {hook_api.ok("webhook/test", {"id": hook["id"]})["id"] for _ in range(MESSAGES)}
    receiver.hold.set()
    first = _worker(own_engine, tmp_path, "first")
    try:
        # As many as it sends to one webhook at once (its lease, 2 s, leaves no room to hold more).
        _wait_for(lambda: len(receiver.requests) == PER_WEBHOOK, 30, "the first worker did not send")
        time.sleep(0.3)
        assert len(receiver.requests) == PER_WEBHOOK
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    in_flight = {request.headers["webhook-id"] for request in receiver.requests}
    assert len(in_flight) == PER_WEBHOOK < MESSAGES and in_flight < queued
    receiver.hold.clear()
    second = _worker(own_engine, tmp_path, "second")
    try:

        def all_delivered() -> bool:
            listed = hook_api.ok("webhookDelivery/list", {"status": "delivered", "pager": {"pageSize": 100}})
            return bool(listed["totalCount"] == MESSAGES)

        _wait_for(all_delivered, 30, "the second worker did not deliver everything")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0, (tmp_path / "second.err").read_text()
    seen = Counter(request.headers["webhook-id"] for request in receiver.requests)
    assert set(seen) == queued
    assert all(seen[message] >= 2 for message in in_flight)  # sent again, with the same webhook-id
    for request in receiver.requests:
        request.verify(hook["secret"])
    attempts = {
        item["id"]: item["attempts"]
        for item in hook_api.ok("webhookDelivery/list", {"pager": {"pageSize": 100}})["objects"]
    }
    assert attempts == {message: 2 if message in in_flight else 1 for message in queued}
