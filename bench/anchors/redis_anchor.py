"""Redis sorted-set anchors (B5 rank, B7 updates, B13 restart, B14 memory) through redis-py.

The suite starts its own redis-server (Debian's package) on 127.0.0.1 and a free port, with persistence
to a temporary folder only, and stops it by its process id afterwards.
"""

import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from common import ensure_command, free_port, wait_for_port

KEY = "leaderboard"


@contextmanager
def redis_server(folder: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A redis-server bound to 127.0.0.1 keeping its dump in `folder`; stopped when the block ends."""
    binary = ensure_command("redis-server", ["redis-server"])
    port = free_port()
    args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder), "--save", ""]
    args += ["--appendonly", "no", "--protected-mode", "yes"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield process, port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _fill(client: redis.Redis, users: int, seed: int) -> None:
    rng = random.Random(seed)
    pipe = client.pipeline(transaction=False)
    for number in range(users):
        pipe.zadd(KEY, {f"user{number:07d}@example.com": rng.randrange(100_000)})
        if number % 10_000 == 9_999:
            pipe.execute()
    pipe.execute()


def _rank_p50_us(client: redis.Redis, users: int, samples: int) -> float:
    rng = random.Random(3)
    times = []
    for _ in range(samples):
        member = f"user{rng.randrange(users):07d}@example.com"
        started = time.perf_counter_ns()
        client.zrevrank(KEY, member)
        times.append(time.perf_counter_ns() - started)
    times.sort()
    return times[len(times) // 2] / 1e3


def _updates_per_s(client: redis.Redis, users: int, count: int) -> float:
    rng = random.Random(4)
    members = [f"user{rng.randrange(users):07d}@example.com" for _ in range(count)]
    started = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for step, member in enumerate(members):
        pipe.zincrby(KEY, rng.randint(1, 50), member)
        if step % 1_000 == 999:
            pipe.execute()
    pipe.execute()
    return count / (time.perf_counter() - started)


def measure(users: int, samples: int = 20_000, updates: int = 200_000) -> dict[str, float]:
    """Fill a sorted set with `users` members, then time ranks, updates, memory and a restart from disk."""
    folder = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    figures: dict[str, float] = {}
    try:
        with redis_server(folder) as (_, port):
            client = redis.Redis(host="127.0.0.1", port=port)
            before = int(client.info("memory")["used_memory"])
            _fill(client, users, seed=5)
            figures["memory_mb"] = (int(client.info("memory")["used_memory"]) - before) / 1e6
            figures["rank_p50_us"] = _rank_p50_us(client, users, samples)
            figures["updates_per_s"] = _updates_per_s(client, users, updates)
            client.save()
            client.close()
        started = time.perf_counter()
        with redis_server(folder) as (_, port):
            client = redis.Redis(host="127.0.0.1", port=port)
            while True:
                try:
                    if client.zcard(KEY) == users:
                        break
                except redis.BusyLoadingError:
                    time.sleep(0.01)
            figures["restart_s"] = time.perf_counter() - started
            client.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return figures
