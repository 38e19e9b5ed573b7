"""A server asked to stop (SIGTERM, as a service manager does) finishes its work before it exits: the derived
tables are written up to the log (the next start has nothing to apply), its background threads end and its
doorbell for the other processes is removed; the exit status is 0."""

import os
import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from gameservices.storage import checkpoints, event_log
from gameservices.storage.database import open_engine, read_transaction
from gameservices.storage.doorbells import folder_for
from gameservices.storage.schema import user_scores
from tests import serving
from tests.api import guide_bodies as guide


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_server_writes_its_last_checkpoint_and_exits_cleanly(tmp_path: Path, sig: int) -> None:
    url = f"sqlite:///{tmp_path / 'gameservices.db'}"
    port = serving.free_port()
    base, log = f"http://127.0.0.1:{port}", tmp_path / "serve.log"
    # No checkpoint while it runs: only the one it writes as it stops can bring the tables up to the log.
    process = serving.start(
        url, tmp_path, port, log=log, env={"GAMESERVICES_CHECKPOINT_INTERVAL_MS": "60000"}
    )
    try:
        demo = serving.demo_partner(log, process=process)
        serving.wait_until_up(base, log, process=process)
        headers = {"Authorization": f"Bearer {demo['ks']}"}
        with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=30) as http:
            board = http.post(
                "/leaderboard/create", json={**guide.leaderboard_4_2(), "status": "enabled"}
            ).json()["id"]
            http.post("/rule/create", json=guide.rule_6_7(board)).raise_for_status()
            events = [
                {
                    "eventType": "viewPeriod",
                    "userId": user,
                    "entryId": "1_abc",
                    "playTime": 60,
                    "virtualEventId": guide.VIRTUAL_EVENT_ID,
                    "eventTime": "2025-06-02T10:00:00Z",
                }
                for user in ("ann", "bob")
            ]
            assert http.post("/event/send", json={"events": events}).json()["accepted"] == 2
        engine = open_engine(url)
        partner_id = int(demo["partnerId"])
        with read_transaction(engine) as conn:
            assert checkpoints.read(conn, partner_id) < event_log.last_seq(conn, partner_id)
        folder = folder_for(engine)
        assert folder is not None and any(name.startswith(f"{process.pid}-") for name in os.listdir(folder))
        os.kill(process.pid, sig)
        assert process.wait(timeout=60) == 0, serving.output(log)
    finally:
        serving.stop(process)
    with read_transaction(engine) as conn:
        assert checkpoints.read(conn, partner_id) == event_log.last_seq(conn, partner_id)
        scored = conn.execute(select(user_scores.c.user_id).where(user_scores.c.partner_id == partner_id))
        assert sorted(scored.scalars()) == ["ann", "bob"]
    assert not folder.exists() or not any(name.startswith(f"{process.pid}-") for name in os.listdir(folder))
    engine.dispose()
