"""B13 and B14: restart with a 1,000,000-user leaderboard, and the memory that leaderboard takes; B13 extended:
the same restart with 1,000,000 log entries after the derived tables' checkpoint.

`prepare` fills a SQLite file with one partner, one leaderboard and its 1,000,000 user totals. `load` then
runs in a fresh process, as a restarted server would: open the database and load the partner's live state
(rule set, buckets, scores and rank index) the way `serve` does before its first request (its warm-up, then
the loaded state frozen out of the collector's sight), then answer one top-25 page. It reports
the seconds to that first answer (imports excluded) and the growth of the resident set the loaded state
costs. The anchor is Redis restarting from its dump of a 1,000,000-member sorted set and its used_memory.

`--entries N` adds the B1 rules to the leaderboard and N `events` entries of one event each (the B1 workload's
events) to the log after the checkpoint, as a server killed before its checkpoint leaves them: the restart then
applies them to what it loads from the tables.

Run: PYTHONPATH=src:bench python bench/b13_restart.py [--users 1000000] [--entries 0] [--runs 3]; prints JSON.
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
from typing import Any

from common import python_env, resident_bytes

NOW = 1_750_000_000.0


def prepare(url: str, users: int, entries: int = 0) -> int:
    """A database holding one leaderboard of `users` scored users (and `entries` log entries after the tables'
    checkpoint); return the partner id."""
    from gameservices.domain.ids import new_object_id
    from gameservices.services.access.partner import create_partner
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
        data = {"virtualEventIds": ["ve0"]} if entries else {}
        board = GameObjectRecord(new_object_id(), partner_id, "leaderboard", "Bench", "enabled", data, 0, 0)
        object_repository.insert_game_object(conn, board)
        rows = [
            UserScoreRow(board.id, f"user{n:07d}@example.com", float(rng.randrange(100_000)), NOW + n, False)
            for n in range(users)
        ]
        score_repository.save_user_scores(conn, partner_id, rows)
    if entries:
        _log_after_checkpoint(engine, partner_id, board.id, entries)
    engine.dispose()
    return partner_id


def _log_after_checkpoint(engine: Any, partner_id: int, board_id: str, count: int) -> None:
    """The B1 rules on the board, then `count` one-event entries in the log only (the checkpoint stays)."""
    import b1_rules
    from sqlalchemy import insert, update

    from gameservices.domain.timefmt import now_ms
    from gameservices.projection import entries
    from gameservices.services.catalog import rule as rule_service
    from gameservices.storage.database import write_transaction
    from gameservices.storage.schema import event_log, partners

    with write_transaction(engine) as conn:
        for number, raw in enumerate(b1_rules._template()):
            fields = {
                **raw,
                "name": f"rule {number}",
                "mode": "distribute_points",
                "gameObjectType": "leaderboard",
                "gameObjectId": board_id,
            }
            rule_service.create(conn, partner_id=partner_id, fields=fields)
        first = int(conn.execute(select_seq(partner_id)).scalar_one()) + 1
    _, _, normalized, _ = b1_rules.workload("virtual-events", 10, count, seed=1)
    at = now_ms()
    for offset in range(0, count, 100_000):
        with write_transaction(engine) as conn:
            rows = [
                {
                    "partner_id": partner_id,
                    "seq": first + index,
                    "kind": entries.EVENTS,
                    "body": entries.encode_events([normalized[index]]),
                    "created_at": at,
                    "changes": None,
                }
                for index in range(offset, min(offset + 100_000, count))
            ]
            conn.execute(insert(event_log), rows)
    with write_transaction(engine) as conn:
        last = first + count - 1
        bump = {"log_seq": last, "state_version": partners.c.state_version + 1}
        conn.execute(update(partners).where(partners.c.id == partner_id).values(**bump))


def select_seq(partner_id: int) -> Any:
    """The partner's newest log seq."""
    from sqlalchemy import select

    from gameservices.storage.schema import partners

    return select(partners.c.log_seq).where(partners.c.id == partner_id)


def load(url: str, partner_id: int) -> dict[str, float]:
    """Open the database, load the partner's state as `serve` does before its first request (its warm-up, with
    the collector handled as `serve.loaded_for_good` does) and answer one top-25 page, as after a restart."""
    from gameservices.cli.serve import loaded_for_good
    from gameservices.projection.live import LiveState
    from gameservices.storage.database import open_engine, read_transaction

    gc.collect()
    before = resident_bytes()
    started = time.perf_counter()
    engine = open_engine(url)
    live = LiveState()
    with loaded_for_good(), read_transaction(engine) as conn:
        live.warm_up(conn, [partner_id])
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
    parser.add_argument("--entries", type=int, default=0, help="log entries after the checkpoint")
    parser.add_argument("--load", nargs=2, metavar=("URL", "PARTNER"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.load:
        print(json.dumps(load(options.load[0], int(options.load[1]))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-b13-") as folder:
        url = f"sqlite:///{Path(folder) / 'gameservices.db'}"
        partner_id = prepare(url, options.users, options.entries)
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
                "entries": options.entries,
                "ready_s": statistics.median(run["ready_s"] for run in runs),
                "memory_mb": statistics.median(run["memory_mb"] for run in runs),
            }
        )
    )


if __name__ == "__main__":
    main()
