"""A real ``gameservices serve``: a score that moves reaches the partner's webhook, signed, within a second or
two of the write's answer (the dispatcher runs inside the server; the latency is printed, not asserted)."""

import time
from pathlib import Path

import httpx
import pytest

from tests.api import guide_bodies as guide
from tests.conftest import POLL_RULE
from tests.e2e.conftest import read_demo_partner, server_process, wait_until_up
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_fan_out import AT


def test_a_served_score_change_reaches_the_webhook(
    fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAMESERVICES_ALLOW_PRIVATE_WEBHOOKS", "true")
    with Receiver().running() as receiver, server_process(fresh_database_url, tmp_path) as (process, base):
        demo = read_demo_partner(process)
        wait_until_up(base)
        headers = {"Authorization": f"Bearer {demo['ks']}"}
        with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=30) as api:
            board = api.post("/leaderboard/create", json={**guide.leaderboard_4_2(), "status": "enabled"})
            board_id = board.json()["id"]
            rule = {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board_id}
            assert api.post("/rule/create", json=rule).status_code == 200
            hook = api.post("/webhook/create", json={"url": receiver.url, "eventTypes": ["score.changed"]})
            assert hook.status_code == 200, hook.text
            event = {"eventType": "pollAnswered", "userId": "ann", "pollId": "p1", "eventTime": AT}
            assert api.post("/event/send", json={"events": [event]}).status_code == 200
            answered = time.monotonic()
            while not receiver.requests:
                assert time.monotonic() - answered < 10, "no delivery within 10 s"
                time.sleep(0.02)
            latency = time.monotonic() - answered
            message = receiver.requests[0].verify(hook.json()["secret"])
            assert message["type"] == "score.changed" and message["data"]["userId"] == "ann"
            print(f"\nwebhook delivered {latency * 1000:.0f} ms after the write's answer")
