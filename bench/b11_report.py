"""B11: the userScore report of a 100,000-user leaderboard (DESIGN.md section 8: <= 0.5 s, and a report streams
without holding every row; the brief's memory target is <= 100 MB).

Fills a fresh SQLite database (or --database-url) through the repositories: one leaderboard with --rules
rules, --users scored users with a ledger row per rule, and (unless --no-profiles) a profile per user. The
partner's live state is loaded first, as on a server that has been answering requests. Then it measures:
- the time to write the whole userScore report in each format (csv, xlsx, json), median of --repeat runs;
- the peak memory traced by tracemalloc while the CSV report is written (a separate run, tracing is slow);
- the anchor: sorting the same (score, userId) pairs and writing them with csv.writer, with no database.
Figures are reported, never asserted.

Run: PYTHONPATH=src python bench/b11_report.py [--users 100000] [--rules 3] [--json out.json]
"""

import argparse
import csv
import io
import json
import random
import statistics
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

from gameservices.domain.ids import new_object_id
from gameservices.projection.live import LiveState
from gameservices.services.access.partner import create_partner
from gameservices.services.reports import generate as report
from gameservices.storage import game_objects as object_repository
from gameservices.storage import rules as rule_repository
from gameservices.storage import scores as score_repository
from gameservices.storage import user_profiles as profile_repository
from gameservices.storage.database import Engine, open_engine, read_transaction, write_transaction
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.migrate import upgrade
from gameservices.storage.rules import RuleRecord
from gameservices.storage.scores import UserScoreRow
from gameservices.storage.user_profiles import ProfileRecord

NOW_MS = 1_748_858_400_000
RULE = {
    "type": "count",
    "mode": "distribute_points",
    "metric": "kuserId",
    "groupBy": "kuserId",
    "goal": "1",
    "points": "1",
    "maxPoints": "unlimited",
}
TARGETS = {"csv_s": "<= 0.5 s", "peak_traced_mb": "<= 100 MB"}


def fill(engine: Engine, users: int, rules: int, profiles: bool, seed: int) -> tuple[int, GameObjectRecord]:
    """A partner with one leaderboard scored by `users` users on `rules` rules."""
    rng = random.Random(seed)
    with write_transaction(engine) as conn:
        partner_id = int(create_partner(conn, name="bench")["partnerId"])
        board = GameObjectRecord(
            new_object_id(), partner_id, "leaderboard", "Bench", "enabled", {}, NOW_MS, NOW_MS
        )
        object_repository.insert_game_object(conn, board)
        rule_ids = [new_object_id() for _ in range(rules)]
        for position, rule_id in enumerate(rule_ids):
            data = {
                **RULE,
                "conditions": [{"fact": "eventType", "operator": "equal", "value": f"kind{position}"}],
            }
            record = RuleRecord(
                rule_id,
                partner_id,
                "leaderboard",
                board.id,
                f"Rule {position}",
                "enabled",
                position,
                data,
                NOW_MS,
                NOW_MS,
            )
            rule_repository.insert_rule(conn, record)
        ledger: dict[tuple[str, str, str], float] = {}
        totals: list[UserScoreRow] = []
        for number in range(users):
            user_id = f"user{number:07d}@example.com"
            points = [float(rng.randrange(1_000)) for _ in rule_ids]
            ledger.update(
                {(board.id, rule_id, user_id): value for rule_id, value in zip(rule_ids, points, strict=True)}
            )
            totals.append(
                UserScoreRow(board.id, user_id, sum(points), NOW_MS / 1000 + rng.random() * 86_400, False)
            )
            if profiles:
                data = {"firstName": "User", "lastName": str(number)}
                profile = ProfileRecord(new_object_id(), partner_id, user_id, user_id, data, NOW_MS, NOW_MS)
                profile_repository.insert_profile(conn, profile)
        score_repository.add_rule_scores(conn, partner_id, ledger, NOW_MS / 1000)
        score_repository.save_user_scores(conn, partner_id, totals)
    return partner_id, board


def write_report(engine: Engine, live: LiveState, plan: report.Report) -> int:
    """Write the whole report; return its size in bytes."""
    size = 0
    with read_transaction(engine) as conn:
        for piece in report.render(conn, live=live, report=plan):
            size += len(piece)
    return size


def anchor(engine: Engine, partner_id: int, board_id: str) -> float:
    """Sort (score, userId) pairs and write them with csv.writer: the work with no database or ledger."""
    with read_transaction(engine) as conn:
        pairs = [
            (row.score, row.user_id) for row in score_repository.scores_of_object(conn, partner_id, board_id)
        ]
    started = time.perf_counter()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for rank, (score, user_id) in enumerate(sorted(pairs, key=lambda pair: -pair[0]), start=1):
        writer.writerow((rank, score, user_id))
    return time.perf_counter() - started


def main() -> None:
    """Fill, warm the live state, then time and trace the reports."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rules", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-profiles", action="store_true")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(options.database_url or f"sqlite:///{folder}/bench.db")
        upgrade(engine)
        started = time.perf_counter()
        partner_id, board = fill(engine, options.users, options.rules, not options.no_profiles, options.seed)
        figures: dict[str, float] = {"fill_s": time.perf_counter() - started}
        live = LiveState()
        started = time.perf_counter()
        with read_transaction(engine) as conn, live.reading(conn, partner_id):
            pass
        figures["state_load_s"] = time.perf_counter() - started
        for file_format in ("csv", "xlsx", "json"):
            plan = report.plan(
                partner_id=partner_id,
                record=board,
                report_type="userScore",
                file_format=file_format,
                summary=False,
                day=date.today(),
            )
            runs = []
            for _ in range(options.repeat):
                started = time.perf_counter()
                figures[f"{file_format}_mb"] = write_report(engine, live, plan) / 1e6
                runs.append(time.perf_counter() - started)
            figures[f"{file_format}_s"] = statistics.median(runs)
            if file_format == "csv":
                tracemalloc.start()
                write_report(engine, live, plan)
                figures["peak_traced_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
                tracemalloc.stop()
        figures["anchor_sort_write_s"] = anchor(engine, partner_id, board.id)
        figures["csv_vs_anchor"] = figures["csv_s"] / figures["anchor_sort_write_s"]
        engine.dispose()
    for name, value in figures.items():
        print(f"{name:>22}: {value:10.3f}  {TARGETS.get(name, '')}")
    if options.json:
        options.json.write_text(
            json.dumps({"users": options.users, "rules": options.rules, **figures}, indent=2)
        )


if __name__ == "__main__":
    main()
