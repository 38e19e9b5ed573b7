"""B13 and B14: restart with a 1,000,000-user leaderboard, and the memory that leaderboard takes.

`prepare` fills a SQLite file with one partner, one leaderboard and its 1,000,000 user totals. `load` then
runs in a fresh process, as a restarted server would: open the database and load the partner's live state
(`projection.loading.refresh`: rule set, buckets, scores and rank index), then answer one top-25 page. It reports
the seconds to that first answer (imports excluded) and the growth of the resident set the loaded state
costs. The anchor is Redis restarting from its dump of a 1,000,000-member sorted set and its used_memory.

Run: PYTHONPATH=src:bench python bench/b13_restart.py [--users 1000000] [--runs 3]; prints JSON.
"""

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import python_env, resident_bytes

NOW = 1_750_000_000.0


def prepare(url: str, users: int) -> int:
    """A database holding one leaderboard of `users` scored users; return the partner id."""
    from gameservices.domain.ids import new_object_id
    from gameservices.services.partner import create_partner
    from gameservices.storage import game_objects as object_repository
    from gameservices.storage import scores as score_repository
    from gameservices.storage.database import open_engine, write_transaction
    from gameservices.storage.game_objects import GameObjectRecord
    from gameservices.storage.migrate import upgrade
    from gameservices.storage.scores import UserScoreRow

    engine = open_engine(url)
    upgrade(engine)
    rng = random.Random(13)
    with write_transaction(engine) as conn:
        partner_id = int(create_partner(conn, name="bench")["partnerId"])
        board = GameObjectRecord(new_object_id(), partner_id, "leaderboard", "Bench", "enabled", {}, 0, 0)
        object_repository.insert_game_object(conn, board)
        rows = [
            UserScoreRow(board.id, f"user{n:07d}@example.com", float(rng.randrange(100_000)), NOW + n, False)
            for n in range(users)
        ]
        score_repository.save_user_scores(conn, partner_id, rows)
    engine.dispose()
    return partner_id


def load(url: str, partner_id: int) -> dict[str, float]:
    """Open the database, load the partner's state and answer one top-25 page, as after a restart."""
    from gameservices.projection.live import LiveState
    from gameservices.storage.database import open_engine, read_transaction

    gc.collect()
    before = resident_bytes()
    started = time.perf_counter()
    engine = open_engine(url)
    live = LiveState()
    with read_transaction(engine) as conn, live.reading(conn, partner_id) as state:
        board = next(iter(state.boards.values()))
        page = board.index.page(0, 25)
    seconds = time.perf_counter() - started
    gc.collect()
    return {"ready_s": seconds, "memory_mb": (resident_bytes() - before) / 1e6, "first": float(len(page))}


def main() -> None:
    """Prepare once, then load in fresh processes; print the figures as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--load", nargs=2, metavar=("URL", "PARTNER"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.load:
        print(json.dumps(load(options.load[0], int(options.load[1]))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-b13-") as folder:
        url = f"sqlite:///{Path(folder) / 'gameservices.db'}"
        partner_id = prepare(url, options.users)
        runs = []
        for _ in range(options.runs):
            done = subprocess.run(
                [sys.executable, __file__, "--load", url, str(partner_id)],
                env=python_env(),
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            )
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(
        json.dumps(
            {
                "users": options.users,
                "ready_s": statistics.median(run["ready_s"] for run in runs),
                "memory_mb": statistics.median(run["memory_mb"] for run in runs),
            }
        )
    )


if __name__ == "__main__":
    main()
