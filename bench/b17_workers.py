"""B17: `serve --workers 2` against `--workers 1`: the top-25 `userScore/list` request rate from 8 clients.

A leaderboard with one rule is filled with 50,000 scored users, then 8 keep-alive clients ask for its top 25
(each connection is accepted by one worker process; the kernel spreads them). Run on a fresh SQLite file.
The clients are `wrk` (a C load generator) when it is installed, and always the Python asyncio client of the
other HTTP workloads too: on a 2-core machine the client's own CPU caps what two workers can show.

Run: PYTHONPATH=src:bench python bench/b17_workers.py [--users 50000]; prints JSON.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from b15_processes import _events, _partner, _send, _setup
from common import free_port, python_env, wait_for_port
from load_client import load
from wrk_client import available, wrk_load

CLIENTS = 8
RUNS = 3
WRK_SECONDS = 10


def measure(workers: int, users: int, folder: Path) -> dict[str, float]:
    """Top-25 requests per second with this many worker processes, by each client."""
    env = {
        **python_env(),
        "GAMESERVICES_DATABASE_URL": f"sqlite:///{folder / f'w{workers}.db'}",
        "GAMESERVICES_CREATE_DEMO_PARTNER": "false",
    }
    ks = _partner(env, folder)["ks"]
    port = free_port()
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen([sys.executable, "-m", "gameservices", *args], cwd=folder, env=env)
    try:
        wait_for_port(port, timeout=300)
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}/api/v1", headers={"Authorization": f"Bearer {ks}"}, timeout=600
        ) as http:
            board = _setup(http)
            for at in range(0, users, 5_000):
                _send(http, _events(users, 5_000, at))
        top = json.dumps({"gameObjectId": board, "pager": {"pageSize": 25, "pageIndex": 1}}).encode()
        load(port, "/api/v1/userScore/list", [[top] * 100] * CLIENTS, ks)  # every worker caught up
        rates = [load(port, "/api/v1/userScore/list", [[top] * 400] * CLIENTS, ks) for _ in range(RUNS)]
        found = {"python": statistics.median(rate["requests_per_s"] for rate in rates)}
        if available():
            runs = [
                wrk_load(port, "/api/v1/userScore/list", top, ks, CLIENTS, WRK_SECONDS) for _ in range(RUNS)
            ]
            if any(run["failures"] for run in runs):
                raise RuntimeError(f"non-2xx answers under wrk: {runs}")
            found["wrk"] = statistics.median(run["requests_per_s"] for run in runs)
        return found
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    """Measure one and two workers; print the figures as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-b17-") as folder:
        one = measure(1, options.users, Path(folder))
        two = measure(2, options.users, Path(folder))
    client = "wrk" if "wrk" in one else "python"
    print(
        json.dumps(
            {
                "client": client,
                "workers_1_per_s": one[client],
                "workers_2_per_s": two[client],
                "python_workers_1_per_s": one["python"],
                "python_workers_2_per_s": two["python"],
            }
        )
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
