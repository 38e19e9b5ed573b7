"""B15: two `gameservices serve` processes on one database, as a load balancer or a second machine runs them.

Both processes serve the same partner. The leaderboard (one `sum` rule) is filled with USERS scored users
through the first process, both processes are warmed up, then:
- reads: a one-event write to process A, then the top 25 from A ("after its own write") or from B ("after the
  other process's write"); the time of the read alone is recorded (median of many pairs);
- writes: calls of 100 events from one client, all through A, then alternating A, B, A, B, ... (three rounds of
  each in turn, the median of each kind kept)

The first read after another process's write is what a second process costs: without the event log it is a
reload of the partner's whole state; with it, the application of the entries the reader lacks.

Run: PYTHONPATH=src:bench python bench/b15_processes.py [--users 50000] [--database sqlite|postgresql]; JSON.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from common import free_port, python_env, wait_for_port

PER_CALL = 100
PAIRS = 40
WRITE_CALLS = 60
WRITE_ROUNDS = 3


@contextmanager
def serve(env: dict[str, str], folder: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """One server process on 127.0.0.1; terminated by its pid afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gameservices", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, timeout=300)
        yield process, f"http://127.0.0.1:{port}/api/v1"
    finally:
        process.terminate()
        process.wait(timeout=60)


def _partner(env: dict[str, str], folder: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "gameservices", "partner", "create", "--name", "B15"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    parsed: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


def _setup(http: httpx.Client) -> str:
    board = http.post(
        "/leaderboard/create",
        json={
            "name": "B15",
            "status": "enabled",
            "startDate": "2020-01-01T00:00:00Z",
            "endDate": "2040-01-01T00:00:00Z",
            "virtualEventIds": [],
        },
    ).json()["id"]
    rule = {
        "name": "points",
        "mode": "distribute_points",
        "type": "sum",
        "metric": "score",
        "goal": 1,
        "points": 1,
        "maxPoints": "unlimited",
        "groupBy": ["kuserId"],
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "bench"}],
        "gameObjectType": "leaderboard",
        "gameObjectId": board,
    }
    http.post("/rule/create", json=rule).raise_for_status()
    return str(board)


def _events(users: int, count: int, start: int) -> list[dict[str, Any]]:
    return [
        {"eventType": "bench", "userId": f"user{(start + i) % users}", "score": 1 + (start + i) % 7}
        for i in range(count)
    ]


def _send(http: httpx.Client, events: list[dict[str, Any]]) -> None:
    answer = http.post("/event/send", json={"events": events})
    answer.raise_for_status()
    if answer.json()["accepted"] != len(events):
        raise RuntimeError(f"events refused: {answer.text[:300]}")


def _read_ms(http: httpx.Client, board: str) -> float:
    started = time.perf_counter()
    answer = http.post("/userScore/list", json={"gameObjectId": board, "pager": {"pageSize": 25}})
    elapsed = (time.perf_counter() - started) * 1e3
    answer.raise_for_status()
    return elapsed


def _write_rate(clients: list[httpx.Client], users: int, start: int) -> float:
    started = time.perf_counter()
    for call in range(WRITE_CALLS):
        _send(clients[call % len(clients)], _events(users, PER_CALL, start + call * PER_CALL))
    return WRITE_CALLS * PER_CALL / (time.perf_counter() - started)


def measure(users: int, env: dict[str, str], folder: Path) -> dict[str, float]:
    """The figures of one database."""
    ks = _partner(env, folder)["ks"]
    headers = {"Authorization": f"Bearer {ks}"}
    with ExitStack() as stack:
        _, url_a = stack.enter_context(serve(env, folder))
        _, url_b = stack.enter_context(serve(env, folder))
        a = stack.enter_context(httpx.Client(base_url=url_a, headers=headers, timeout=600))
        b = stack.enter_context(httpx.Client(base_url=url_b, headers=headers, timeout=600))
        board = _setup(a)
        for at in range(0, users, 5_000):
            _send(a, _events(users, 5_000, at))
        _read_ms(a, board), _read_ms(b, board)  # both processes hold the filled state
        own, other = [], []
        for pair in range(PAIRS):
            _send(a, _events(users, 1, pair))
            own.append(_read_ms(a, board))
            _send(a, _events(users, 1, pair + 1))
            other.append(_read_ms(b, board))
        # Rounds of each kind taken in turn, the median of each kept: one round is under a second of writes.
        ones, alternations = [], []
        for round_ in range(WRITE_ROUNDS):
            ones.append(_write_rate([a], users, round_ * WRITE_CALLS * PER_CALL))
            _read_ms(b, board)
            alternations.append(_write_rate([a, b], users, 7 + round_ * WRITE_CALLS * PER_CALL))
        one, alternating = statistics.median(ones), statistics.median(alternations)
    return {
        "read_own_ms": statistics.median(own),
        "read_other_ms": statistics.median(other),
        "writes_one_per_s": one,
        "writes_alternating_per_s": alternating,
    }


def main() -> None:
    """Measure on the chosen database; print the figures as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("GAMESERVICES_BENCH_POSTGRES_URL", ""))
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-b15-") as folder:
        env = {**python_env(), "GAMESERVICES_CREATE_DEMO_PARTNER": "false"}
        if options.database == "sqlite":
            env["GAMESERVICES_DATABASE_URL"] = f"sqlite:///{Path(folder) / 'gameservices.db'}"
            figures = measure(options.users, env, Path(folder))
        else:
            figures = _on_postgres(options.postgres_url, options.users, env, Path(folder))
    print(json.dumps(figures))


def _on_postgres(server_url: str, users: int, env: dict[str, str], folder: Path) -> dict[str, float]:
    """Measure on a fresh database of a PostgreSQL server (dropped afterwards)."""
    import psycopg

    name = f"bench_b15_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = server_url.rsplit("/", 1)[0]
        env["GAMESERVICES_DATABASE_URL"] = f"{base}/{name}"
        subprocess.run(
            [sys.executable, "-m", "gameservices", "db", "upgrade"], cwd=folder, env=env, check=True
        )
        return measure(users, env, folder)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
