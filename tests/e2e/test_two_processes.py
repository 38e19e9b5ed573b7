"""Two real server processes on one database, as a load balancer or a second machine runs them: random writes
interleaved between them, and every read after a write's answer, in either process, sees the write; the final
ranking equals what one process alone computes from the same calls; `gameservices db replay --verify` then
finds the log and the tables in agreement."""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import POLL_RULE
from tests.e2e.conftest import read_demo_partner, server_process, wait_until_up


def _calls(seed: int) -> list[tuple[str, dict[str, Any]]]:
    """A random sequence of writes: events mostly, rule changes and profile changes in between."""
    shuffle = random.Random(seed)
    users = [f"user{n}" for n in range(8)]
    calls: list[tuple[str, dict[str, Any]]] = []
    for step in range(40):
        roll = shuffle.random()
        if roll < 0.75:
            events = [
                {
                    "eventType": "pollAnswered",
                    "userId": shuffle.choice(users),
                    "pollId": f"p{shuffle.randrange(15)}",
                    "eventTime": 1_700_000_000 + step,
                }
                for _ in range(shuffle.randint(1, 20))
            ]
            calls.append(("event/send", {"events": events}))
        elif roll < 0.9:
            calls.append(("rule/update", {"points": str(shuffle.randint(1, 20))}))
        else:
            calls.append(("userProfile/upsert", {"userId": shuffle.choice(users), "email": f"u{step}@x.com"}))
    return calls


def _top(http: httpx.Client, board: str) -> list[tuple[str, float]]:
    answer = http.post("/userScore/list", json={"gameObjectId": board, "pager": {"pageSize": 50}})
    assert answer.status_code == 200, answer.text
    return [(item["userId"], item["score"]) for item in answer.json()["objects"]]


def _setup(http: httpx.Client) -> tuple[str, str]:
    board = http.post(
        "/leaderboard/create",
        json={
            "name": "Two processes",
            "status": "enabled",
            "startDate": "2020-01-01T00:00:00Z",
            "endDate": "2040-01-01T00:00:00Z",
            "virtualEventIds": [],
        },
    ).json()["id"]
    rule = http.post(
        "/rule/create", json={**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board}
    )
    return board, rule.json()["id"]


def _play(clients: list[httpx.Client], board: str, rule: str, seed: int) -> list[tuple[str, float]]:
    shuffle = random.Random(seed + 1)
    for path, body in _calls(seed):
        writer = shuffle.choice(clients)
        if path == "rule/update":
            body = {**body, "id": rule}
        answer = writer.post(f"/{path}", json=body)
        assert answer.status_code == 200, answer.text
        # The write has been answered: every process now shows it.
        seen = [_top(client, board) for client in clients]
        assert all(view == seen[0] for view in seen), seen
    return _top(clients[0], board)


def test_two_processes_agree_with_one(fresh_database_url: str, tmp_path: Path) -> None:
    with server_process(fresh_database_url, tmp_path) as (first, base_a):
        demo = read_demo_partner(first)
        wait_until_up(base_a)
        with server_process(fresh_database_url, tmp_path) as (_, base_b):
            wait_until_up(base_b)
            headers = {"Authorization": f"Bearer {demo['ks']}"}
            with (
                httpx.Client(base_url=f"{base_a}/api/v1", headers=headers, timeout=60) as a,
                httpx.Client(base_url=f"{base_b}/api/v1", headers=headers, timeout=60) as b,
            ):
                board, rule = _setup(a)
                together = _play([a, b], board, rule, seed=11)
                # The same calls through one process only, on another leaderboard of the same partner.
                alone_board, alone_rule = _setup(a)
                alone = _play([a], alone_board, alone_rule, seed=11)
    assert together == alone and together
    env = {**os.environ, "GAMESERVICES_DATABASE_URL": fresh_database_url}
    verified = subprocess.run(
        [sys.executable, "-m", "gameservices", "db", "replay", "--verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    lines = [json.loads(line) for line in verified.stdout.splitlines()]
    assert [line["same"] for line in lines] == [True] and lines[0]["entries"] > 40
    assert (lines[0]["certificates"], lines[0]["unverifiedCertificates"]) == (0, [])


def test_serve_with_two_workers(fresh_database_url: str, tmp_path: Path) -> None:
    with server_process(fresh_database_url, tmp_path, "--workers", "2") as (parent, base):
        demo = read_demo_partner(parent)
        wait_until_up(base, timeout=120)  # worker processes start after the parent has migrated
        workers = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(parent.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert len(workers) >= 2
        headers = {"Authorization": f"Bearer {demo['ks']}"}
        # A new connection per request: the kernel spreads them over both workers.
        clients = [
            httpx.Client(
                base_url=f"{base}/api/v1",
                headers=headers,
                timeout=60,
                limits=httpx.Limits(max_keepalive_connections=0),
            )
            for _ in range(2)
        ]
        try:
            board, rule = _setup(clients[0])
            assert _play(clients, board, rule, seed=5)
        finally:
            for client in clients:
                client.close()


def test_a_process_killed_while_catching_up_loses_and_doubles_nothing(
    fresh_database_url: str, tmp_path: Path
) -> None:
    """Process B follows A's writes (woken by NOTIFY, or polling SQLite); it is killed with SIGKILL in the middle
    of a burst of A's writes, most likely while applying entries; a new B then answers exactly like A, and the
    log replays into the tables."""
    with server_process(fresh_database_url, tmp_path) as (first, base_a):
        demo = read_demo_partner(first)
        wait_until_up(base_a)
        headers = {"Authorization": f"Bearer {demo['ks']}"}
        with httpx.Client(base_url=f"{base_a}/api/v1", headers=headers, timeout=60) as a:
            board, _ = _setup(a)
            with server_process(fresh_database_url, tmp_path) as (second, base_b):
                wait_until_up(base_b)
                with httpx.Client(base_url=f"{base_b}/api/v1", headers=headers, timeout=60) as b:
                    _top(b, board)  # B has loaded the partner and follows its log from now on
                writes = _burst(a, seed=3, calls=60)
                time.sleep(random.Random(3).uniform(0.05, 0.3))
                os.kill(second.pid, signal.SIGKILL)
                writes.join(timeout=120)
            with server_process(fresh_database_url, tmp_path) as (_, base_c):
                wait_until_up(base_c)
                with httpx.Client(base_url=f"{base_c}/api/v1", headers=headers, timeout=60) as c:
                    assert _top(c, board) == _top(a, board) != []
    verified = subprocess.run(
        [sys.executable, "-m", "gameservices", "db", "replay", "--verify"],
        env={**os.environ, "GAMESERVICES_DATABASE_URL": fresh_database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _burst(client: httpx.Client, *, seed: int, calls: int) -> threading.Thread:
    """Calls of 100 events through one process, on a thread of their own."""
    shuffle = random.Random(seed)

    def run() -> None:
        for step in range(calls):
            events = [
                {
                    "eventType": "pollAnswered",
                    "userId": f"user{shuffle.randrange(500)}",
                    "pollId": f"p{shuffle.randrange(50)}",
                    "eventTime": 1_700_000_000 + step,
                }
                for _ in range(100)
            ]
            answer = client.post("/event/send", json={"events": events})
            assert answer.status_code == 200, answer.text

    thread = threading.Thread(target=run)
    thread.start()
    return thread
