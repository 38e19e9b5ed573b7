"""B3 and B6 over HTTP: `event/send` throughput and latency, and the `userScore/list` top-25 request rate.

B3 starts a real `gameservices serve` process on a fresh SQLite file (synchronous=FULL: each call is durable
when it returns), creates a leaderboard with the ten B1 rules, and sends the B1 event stream in calls of 100
events from 8 concurrent keep-alive clients; it reports events/s and p99 latency. B6 then asks
`userScore/list` for the top 25 of that leaderboard from the same 8 clients. The anchor is an empty FastAPI
app (anchors/empty_app.py) under the same uvicorn settings and the same client: its event/send takes the
same body and does nothing, its /empty answers `{}`.

Run: PYTHONPATH=src:bench python bench/b3_http.py [--requests 40] [--runs 3]; prints JSON.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import b1_rules
import httpx
from common import BENCH, free_port, python_env, wait_for_port
from load_client import load

CLIENTS = 8
PER_CALL = 100


@contextmanager
def server(args: list[str], folder: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """A server process listening on 127.0.0.1 and a free port; terminated by its pid afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [*args, str(port)], cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield process, port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _demo_partner(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("{"):
            parsed: dict[str, Any] = json.loads(line)
            return parsed
        if not line:
            break
    raise RuntimeError("the server printed no demo partner")


def _leaderboard(base: str, ks: str) -> str:
    with httpx.Client(
        base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {ks}"}, timeout=60
    ) as http:
        board = http.post(
            "/leaderboard/create",
            json={
                "objectType": "Leaderboard",
                "name": "Bench",
                "status": "enabled",
                "startDate": "2025-01-01T00:00:00Z",
                "endDate": "2030-01-01T00:00:00Z",
                "virtualEventIds": ["ve0"],
                "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
            },
        ).json()
        if "id" not in board:
            raise RuntimeError(f"leaderboard/create failed: {board}")
        board = board["id"]
        for number, raw in enumerate(b1_rules._template()):
            body = {
                "name": f"rule {number}",
                "mode": "distribute_points",
                **raw,
                "gameObjectType": "leaderboard",
                "gameObjectId": board,
            }
            response = http.post("/rule/create", json=body)
            response.raise_for_status()
    return str(board)


def _bodies(runs: int, requests: int) -> list[list[list[bytes]]]:
    """Per run, per client, the request bodies (fresh eventIds every run)."""
    per_run = CLIENTS * requests * PER_CALL
    events = b1_rules.raw_events(per_run * runs, seed=3, pick_type=b1_rules._base_type, virtual_events=1)
    plan = []
    for run in range(runs):
        chunk = events[run * per_run : (run + 1) * per_run]
        calls = [
            json.dumps({"events": chunk[at : at + PER_CALL]}).encode() for at in range(0, per_run, PER_CALL)
        ]
        plan.append([calls[client::CLIENTS] for client in range(CLIENTS)])
    return plan


def _summary(results: list[dict[str, float]], per_request: int) -> dict[str, float]:
    return {
        "per_s": statistics.median(r["requests_per_s"] for r in results) * per_request,
        "p99_ms": statistics.median(r["p99_ms"] for r in results),
        "p50_ms": statistics.median(r["p50_ms"] for r in results),
        "failures": sum(r["failures"] for r in results),
    }


def measure_service(runs: int, requests: int, folder: Path, database_url: str = "") -> dict[str, float]:
    """B3 and B6 against `gameservices serve` (on a fresh SQLite file unless a database URL is given: B16)."""
    url = database_url or f"sqlite:///{folder / 'gameservices.db'}"
    env = {**python_env(), "GAMESERVICES_DATABASE_URL": url}
    args = [sys.executable, "-m", "gameservices", "serve", "--host", "127.0.0.1", "--port"]
    with server(args, folder, env) as (process, port):
        ks = _demo_partner(process)["ks"]
        wait_for_port(port)
        board = _leaderboard(f"http://127.0.0.1:{port}", ks)
        plan = _bodies(runs + 1, requests)
        load(port, "/api/v1/event/send", plan[0], ks)  # warm-up: state loaded, pools and caches filled
        sends = [load(port, "/api/v1/event/send", bodies, ks) for bodies in plan[1:]]
        top = json.dumps({"gameObjectId": board, "pager": {"pageSize": 25, "pageIndex": 1}}).encode()
        lists = [load(port, "/api/v1/userScore/list", [[top] * 250] * CLIENTS, ks) for _ in range(runs)]
    figures = {f"send_{k}": v for k, v in _summary(sends, PER_CALL).items()}
    figures.update({f"list_{k}": v for k, v in _summary(lists, 1).items()})
    return figures


def measure_anchor(runs: int, requests: int, folder: Path) -> dict[str, float]:
    """The same loads against the empty FastAPI app."""
    args = [sys.executable, str(BENCH / "anchors" / "empty_app.py")]
    with server(args, folder, python_env()) as (_, port):
        wait_for_port(port)
        plan = _bodies(runs + 1, requests)
        load(port, "/api/v1/event/send", plan[0])
        sends = [load(port, "/api/v1/event/send", bodies) for bodies in plan[1:]]
        empties = [load(port, "/api/v1/empty", [[b"{}"] * 250] * CLIENTS) for _ in range(runs)]
    figures = {f"anchor_send_{k}": v for k, v in _summary(sends, PER_CALL).items()}
    figures.update({f"anchor_empty_{k}": v for k, v in _summary(empties, 1).items()})
    return figures


def main() -> None:
    """Measure the service and the anchor; print the figures as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=40, help="event/send calls per client per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--database-url", default="", help="an empty database for the service (default: SQLite)"
    )
    parser.add_argument("--no-anchor", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-b3-") as folder:
        figures = {} if options.no_anchor else measure_anchor(options.runs, options.requests, Path(folder))
        figures.update(measure_service(options.runs, options.requests, Path(folder), options.database_url))
    print(json.dumps(figures))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
