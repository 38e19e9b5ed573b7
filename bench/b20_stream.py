"""B20: 1,000 clients on `GET /api/v1/stream`, one change each round: every change delivered to every client,
and the delay from the write's answer to each client's receipt (target: all delivered, p99 <= 1 s).

A real `gameservices serve` process on a fresh SQLite file; one leaderboard with one rule. The clients (one
asyncio process, httpx + httpx-sse, one connection each) open their streams; then each round one `event/send`
of one event moves one user's score: one `score.changed` that all clients must receive. The client process
shares the machine's cores with the server, so the delays include its own scheduling.

Run: PYTHONPATH=src:bench python bench/b20_stream.py [--clients 1000] [--rounds 5]; prints JSON.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from b15_processes import _partner
from common import free_port, python_env, wait_for_port
from httpx_sse import aconnect_sse

AT = 1_748_851_200
BOARD = {
    "objectType": "Leaderboard",
    "name": "B20",
    "status": "enabled",
    "startDate": "2025-06-01T00:00:00Z",
    "endDate": "2025-06-03T00:00:00Z",
    "virtualEventIds": ["1"],
}
RULE = {
    "gameObjectType": "leaderboard",
    "name": "Polls",
    "mode": "distribute_points",
    "conditions": [{"fact": "eventType", "operator": "equal", "value": "pollAnswered"}],
    "type": "countUnique",
    "metric": "pollId",
    "groupBy": "kuserId",
    "goal": "1",
    "points": "10",
    "maxPoints": "unlimited",
}


async def _client(
    base: str, ks: str, received: list[list[float]], opened: asyncio.Event, ready: list[int], clients: int
) -> None:
    mine: list[float] = []
    received.append(mine)
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(60, read=None)) as client,
        aconnect_sse(
            client, "GET", f"{base}/api/v1/stream", headers={"Authorization": f"Bearer {ks}"}
        ) as source,
    ):
        ready[0] += 1
        if ready[0] == clients:
            opened.set()
        async for _ in source.aiter_sse():
            mine.append(time.monotonic())


async def measure(base: str, ks: str, clients: int, rounds: int) -> dict[str, Any]:
    """Open the streams, make `rounds` changes, and collect every client's receipt times."""
    async with httpx.AsyncClient(
        base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {ks}"}
    ) as http:
        board = (await http.post("/leaderboard/create", json=BOARD)).json()["id"]
        assert (await http.post("/rule/create", json={**RULE, "gameObjectId": board})).status_code == 200
        received: list[list[float]] = []
        opened = asyncio.Event()
        ready = [0]  # streams opened so far
        tasks = [
            asyncio.create_task(_client(base, ks, received, opened, ready, clients)) for _ in range(clients)
        ]
        await asyncio.wait_for(opened.wait(), 300)
        await asyncio.sleep(1.0)
        answered = []
        for step in range(rounds):
            event = {"eventType": "pollAnswered", "userId": f"u{step}", "pollId": "p", "eventTime": AT}
            assert (await http.post("/event/send", json={"events": [event]})).status_code == 200
            answered.append(time.monotonic())
            await asyncio.sleep(2.0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    delays = sorted(
        times[step] - answered[step] for times in received for step in range(min(rounds, len(times)))
    )
    delivered = sum(min(rounds, len(times)) for times in received)
    return {
        "clients": clients,
        "rounds": rounds,
        "expected": clients * rounds,
        "delivered": delivered,
        "p50_s": delays[len(delays) // 2] if delays else None,
        "p99_s": delays[min(len(delays) - 1, int(len(delays) * 0.99))] if delays else None,
        "max_s": delays[-1] if delays else None,
    }


def main() -> None:
    """Start the server, measure, print the figures as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-b20-") as name:
        folder = Path(name)
        env = {
            **python_env(),
            "GAMESERVICES_DATABASE_URL": f"sqlite:///{folder / 'b20.db'}",
            "GAMESERVICES_CREATE_DEMO_PARTNER": "false",
        }
        ks = _partner(env, folder)["ks"]
        port = free_port()
        args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen([sys.executable, "-m", "gameservices", *args], cwd=folder, env=env)
        try:
            wait_for_port(port, timeout=120)
            figures = asyncio.run(measure(f"http://127.0.0.1:{port}", ks, options.clients, options.rounds))
        finally:
            process.terminate()
            process.wait(timeout=60)
    print(json.dumps(figures))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
