"""B10: CSV import of 100,000 rows (DESIGN.md section 8: parse and validate <= 1.0 s).

Generates seeded files in three shapes (long ``userId,score,eventType``; long with context columns
``eventId``, ``eventTime``, ``entryId``; wide with three external rule columns) and measures:
- parse and validate (`csv_import.read`: decode, layout, every cell), median of --repeat runs, per shape;
- the anchor: the csv module's DictReader reading the same long file into a list of dicts;
- unless --no-apply, the engine and database time of applying the long file to a fresh SQLite database
  (one leaderboard, one external rule; one transaction, in chunks of 10,000 events) on a warm partner state.
Figures are reported, never asserted.

Run: PYTHONPATH=src python bench/b10_csv_import.py [--rows 100000] [--no-apply] [--json out.json]
"""

import argparse
import csv
import io
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gameservices.domain.ids import new_object_id
from gameservices.projection.live import LiveState
from gameservices.services.access.partner import create_partner
from gameservices.services.scoring import csv_import
from gameservices.storage import game_objects as object_repository
from gameservices.storage import rules as rule_repository
from gameservices.storage.database import open_engine, read_transaction, write_transaction
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.migrate import upgrade
from gameservices.storage.rules import RuleRecord

NOW_MS = 1_748_858_400_000
TARGETS = {"parse_long_s": "<= 1.0 s", "parse_context_s": "<= 1.0 s", "parse_wide_s": "<= 1.0 s"}
EXTERNAL_RULE = {
    "type": "external",
    "mode": "distribute_points",
    "metric": "score",
    "groupBy": "kuserId",
    "goal": "1",
    "points": "score",
    "maxPoints": "unlimited",
    "conditions": [{"fact": "eventType", "operator": "equal", "value": "boothVisit"}],
}


def long_file(rows: int, seed: int, context: bool) -> bytes:
    """``userId,score,eventType`` (and, with ``context``, eventId, eventTime and entryId) rows."""
    rng = random.Random(seed)
    lines = ["userId,score,eventType" + (",eventId,eventTime,entryId" if context else "")]
    for number in range(rows):
        line = f"user{rng.randrange(rows):07d}@example.com,{rng.randrange(1, 100)},boothVisit"
        if context:
            line += f",evt-{number},2025-06-02T10:{number % 60:02d}:00Z,entry{rng.randrange(50)}"
        lines.append(line)
    return ("\n".join(lines) + "\n").encode()


def wide_file(rows: int, seed: int) -> bytes:
    """``UserID,booth,quiz,hunt`` rows with about a third of the cells empty."""
    rng = random.Random(seed)
    lines = ["UserID,booth,quiz,hunt"]
    for number in range(rows):
        cells = [str(rng.randrange(1, 100)) if rng.random() < 0.66 else "" for _ in range(3)]
        lines.append(f"user{number:07d}@example.com," + ",".join(cells))
    return ("\n".join(lines) + "\n").encode()


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    """The median wall time of `repeat` runs."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def anchor(data: bytes) -> list[dict[str, str]]:
    """The csv module alone: DictReader rows of the decoded file."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def apply_seconds(upload: csv_import.CsvImport, database_url: str) -> float:
    """Apply the file's events to a fresh database whose partner state is already loaded."""
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(database_url or f"sqlite:///{folder}/bench.db")
        upgrade(engine)
        with write_transaction(engine) as conn:
            partner_id = int(create_partner(conn, name="bench")["partnerId"])
            data = {"virtualEventIds": [], "startDate": None, "endDate": None}
            board = GameObjectRecord(
                new_object_id(), partner_id, "leaderboard", "Bench", "enabled", data, NOW_MS, NOW_MS
            )
            object_repository.insert_game_object(conn, board)
            rule = RuleRecord(
                new_object_id(),
                partner_id,
                "leaderboard",
                board.id,
                "Booth",
                "enabled",
                0,
                EXTERNAL_RULE,
                NOW_MS,
                NOW_MS,
            )
            rule_repository.insert_rule(conn, rule)
        live = LiveState()
        with read_transaction(engine) as conn, live.reading(conn, partner_id):
            pass
        started = time.perf_counter()
        with live.writing(partner_id) as state, write_transaction(engine) as conn:
            csv_import.apply(conn, state=state, partner_id=partner_id, upload=upload, received_at=time.time())
        elapsed = time.perf_counter() - started
        engine.dispose()
    return elapsed


def main() -> None:
    """Generate the files, then time parsing, the anchor and applying."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-apply", action="store_true")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    files = {
        "long": long_file(options.rows, options.seed, context=False),
        "context": long_file(options.rows, options.seed, context=True),
        "wide": wide_file(options.rows, options.seed),
    }
    figures: dict[str, float] = {}
    for shape, data in files.items():
        figures[f"parse_{shape}_s"] = median_seconds(
            lambda data=data: csv_import.read(data, score_action="delta"),
            options.repeat,  # type: ignore[misc]
        )
    figures["anchor_dictreader_s"] = median_seconds(lambda: anchor(files["long"]), options.repeat)
    figures["parse_long_vs_anchor"] = figures["parse_long_s"] / figures["anchor_dictreader_s"]
    if not options.no_apply:
        upload = csv_import.read(files["long"], score_action="delta")
        figures["apply_long_s"] = apply_seconds(upload, options.database_url)
    for name, value in figures.items():
        print(f"{name:>22}: {value:8.3f}  {TARGETS.get(name, '')}")
    if options.json:
        options.json.write_text(json.dumps({"rows": options.rows, **figures}, indent=2))


if __name__ == "__main__":
    main()
