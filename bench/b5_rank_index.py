"""B5: the in-memory leaderboard rank index (DESIGN.md section 8: rank p99 <= 20 us, >= 100k updates/s,
bulk_load <= 3 s and <= 200 MB at 1,000,000 users).

Builds a seeded leaderboard (userIds like `user0000042@example.com`, integer scores 0..99,999 so that many
users tie and the reached-at time decides) and measures:
- memory: RSS growth of a fresh process over a bulk_load streamed from a generator (as rows come from a
  database cursor), and the same build traced by tracemalloc (exact live bytes, userId strings included);
- bulk_load time from a ready list of rows;
- rank(), get(), page(0, 25) and around(user, 5, 5) latency, p50 and p99 over random users;
- updates/s: index.set() for random users with random score increments (1..50 points) and a moving clock,
  then with jumps to random scores (every move crosses blocks: the slow path);
- rank latency again after the updates.
`--compare` runs build, rank and updates on sortedcontainers.SortedList with the same keys, for reference.
Figures are reported, never asserted.

Run: PYTHONPATH=src python bench/b5_rank_index.py [--users 100000] [--compare] [--json out.json]
"""

import argparse
import gc
import json
import os
import random
import resource
import time
import tracemalloc
from collections.abc import Callable, Iterator

from gameservices.ranking import MemoryRankIndex, rank_key

Row = tuple[str, float, float]
START_TIME = 1_747_735_200.0
TARGETS = {
    "bulk_load_s": "<= 3 s",
    "rank_p99_us": "<= 20 us",
    "updates_per_s": ">= 100,000",
    "memory_rss_mb": "<= 200 MB",
    "memory_traced_mb": "<= 200 MB",
}


def user_id(number: int) -> str:
    """Return the userId of user `number`."""
    return f"user{number:07d}@example.com"


def generate_rows(users: int, seed: int) -> Iterator[Row]:
    """Yield one (userId, score, reached_at) row per user, seeded."""
    rng = random.Random(seed)
    for number in range(users):
        yield user_id(number), float(rng.randrange(100_000)), START_TIME + rng.random() * 30 * 86_400


def resident_bytes() -> int:
    """Return this process's resident set size (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_memory(users: int, seed: int, traced: bool) -> dict[str, float]:
    """Build from a row generator; report RSS growth and, when `traced`, tracemalloc's live bytes."""
    gc.collect()
    before = resident_bytes()
    index = MemoryRankIndex()
    index.bulk_load(generate_rows(users, seed))
    figures = {"memory_rss_mb": (resident_bytes() - before) / 1e6}
    del index
    if traced:
        gc.collect()
        tracemalloc.start()
        index = MemoryRankIndex()
        index.bulk_load(generate_rows(users, seed))
        figures["memory_traced_mb"] = tracemalloc.get_traced_memory()[0] / 1e6
        tracemalloc.stop()
        del index
    return figures


def latencies_us(call: Callable[[str], object], user_ids: list[str]) -> dict[str, float]:
    """Time `call` once per userId; return p50 and p99 in microseconds."""
    clock = time.perf_counter_ns
    samples = []
    for one_user in user_ids:
        started = clock()
        call(one_user)
        samples.append(clock() - started)
    samples.sort()
    return {
        "p50": samples[len(samples) // 2] / 1e3,
        "p99": samples[len(samples) * 99 // 100] / 1e3,
        "max": samples[-1] / 1e3,
    }


def update_stream(rows: list[Row], count: int, seed: int, jumps: bool = False) -> list[Row]:
    """Return `count` score changes for random users, each reached 1 ms after the previous one.

    Increments add 1..50 points; jumps set a random score anywhere on the leaderboard.
    """
    rng = random.Random(seed + 1)
    scores = [score for _, score, _ in rows]
    stream = []
    for step in range(count):
        number = rng.randrange(len(rows))
        scores[number] = float(rng.randrange(100_000)) if jumps else scores[number] + rng.randint(1, 50)
        stream.append((rows[number][0], scores[number], START_TIME + 40 * 86_400 + step / 1000))
    return stream


def apply_updates(index: MemoryRankIndex, updates: list[Row]) -> float:
    """Apply the updates; return updates per second."""
    started = time.perf_counter()
    for one_user, score, reached_at in updates:
        index.set(one_user, score, reached_at)
    return len(updates) / (time.perf_counter() - started)


def measure_index(
    rows: list[Row], samples: list[str], updates: list[Row], jumps: list[Row]
) -> dict[str, float]:
    """Measure bulk_load, reads and updates of MemoryRankIndex."""
    index = MemoryRankIndex()
    gc.collect()
    started = time.perf_counter()
    index.bulk_load(rows)
    figures = {"bulk_load_s": time.perf_counter() - started}
    for name, call in (
        ("rank", index.rank),
        ("get", index.get),
        ("page_0_25", lambda _: index.page(0, 25)),
        ("around_5_5", lambda one_user: index.around(one_user, 5, 5)),
    ):
        for stat, value in latencies_us(call, samples).items():
            figures[f"{name}_{stat}_us"] = value
    figures["updates_per_s"] = apply_updates(index, updates)
    figures["updates_jump_per_s"] = apply_updates(index, jumps)
    for stat, value in latencies_us(index.rank, samples).items():
        figures[f"rank_after_updates_{stat}_us"] = value
    return figures


def measure_sortedcontainers(rows: list[Row], samples: list[str], updates: list[Row]) -> dict[str, float]:
    """Measure the same keys in a dict plus sortedcontainers.SortedList, for reference."""
    from sortedcontainers import SortedList

    gc.collect()
    started = time.perf_counter()
    keys = {one_user: rank_key(one_user, score, reached_at) for one_user, score, reached_at in rows}
    order = SortedList(keys.values())
    figures = {"sortedlist_bulk_load_s": time.perf_counter() - started}
    ranks = latencies_us(lambda one_user: order.bisect_left(keys[one_user]) + 1, samples)
    figures.update({f"sortedlist_rank_{stat}_us": value for stat, value in ranks.items()})
    started = time.perf_counter()
    for one_user, score, reached_at in updates:
        key = rank_key(one_user, score, reached_at)
        order.remove(keys[one_user])
        order.add(key)
        keys[one_user] = key
    figures["sortedlist_updates_per_s"] = len(updates) / (time.perf_counter() - started)
    return figures


def report(figures: dict[str, float]) -> None:
    """Print one line per figure, with its target when DESIGN.md sets one."""
    for name, value in figures.items():
        shown = f"{value:>14,}" if isinstance(value, int) else f"{value:>14,.2f}"
        print(f"{name:32} {shown}  {TARGETS.get(name, '')}".rstrip())


def main() -> None:
    """Parse the options, run every measurement and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1_000_000, help="users on the leaderboard")
    parser.add_argument("--samples", type=int, default=100_000, help="random users timed per read")
    parser.add_argument("--updates", type=int, default=300_000, help="score updates applied")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the (slow) traced build")
    parser.add_argument("--compare", action="store_true", help="also measure sortedcontainers.SortedList")
    parser.add_argument("--json", help="also write the figures to this file")
    options = parser.parse_args()
    if options.users < 1 or options.samples < 1:
        parser.error("--users and --samples must be at least 1")
    # Memory first, while the process is fresh and its RSS reflects nothing else.
    figures: dict[str, float] = {"users": options.users}
    figures.update(measure_memory(options.users, options.seed, traced=not options.no_tracemalloc))
    rows = list(generate_rows(options.users, options.seed))
    rng = random.Random(options.seed + 2)
    samples = [user_id(rng.randrange(options.users)) for _ in range(options.samples)]
    updates = update_stream(rows, options.updates, options.seed)
    jumps = update_stream(rows, options.updates, options.seed + 1, jumps=True)
    figures.update(measure_index(rows, samples, updates, jumps))
    if options.compare:
        figures.update(measure_sortedcontainers(rows, samples, updates))
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    report(figures)
    if options.json:
        with open(options.json, "w") as output:
            json.dump(figures, output, indent=2)


if __name__ == "__main__":
    main()
