"""B18: `rule/simulate` over 1,000,000 logged events, against the in-process engine rate (B1) of the same run
(issue 18: >= 0.5x B1).

A fresh migrated SQLite database gets one partner with B1's "virtual-events" workload at 10 rules: one
leaderboard with the 10-rule template, created through the services (so the log holds its object and rule
entries), then B1's seeded events appended to the event log in entries of 10,000 (the `event/send` maximum),
as normalized events exactly as `event/send` logs them. The timed call is the service `simulation.simulate`
with the current rules: it reads and decodes every entry, runs the events through the same engine and
`Applier` as the live path and compares the result with the live standings (empty here: the tables were not
written, only the log). Events per second = events replayed / seconds.

Run: PYTHONPATH=src:bench python bench/b18_simulate.py [--events 1000000] [--runs 3]; prints JSON.
"""

import argparse
import gc
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import b1_rules

from gameservices.domain.timefmt import now_ms
from gameservices.projection import entries
from gameservices.projection.live import LiveState
from gameservices.projection.simulate import Window
from gameservices.services.access.partner import create_partner
from gameservices.services.catalog import game_objects
from gameservices.services.catalog import rule as rule_service
from gameservices.services.catalog.leaderboard import LEADERBOARD
from gameservices.services.replay import simulation
from gameservices.storage import event_log
from gameservices.storage.database import open_engine, read_transaction, write_transaction
from gameservices.storage.migrate import upgrade


def populate(url: str, events: int) -> tuple[Any, int, Any]:
    """The database with the partner's objects, rules and logged events; (engine, partner id, leaderboard)."""
    engine = open_engine(url)
    upgrade(engine)
    with write_transaction(engine) as conn:
        partner_id = int(create_partner(conn, name="bench")["partnerId"])
        board = game_objects.create(
            conn,
            partner_id=partner_id,
            kind=LEADERBOARD,
            fields={"name": "B1", "status": "enabled", "virtualEventIds": ["ve0"]},
        )
        for number, raw in enumerate(b1_rules._template()):
            fields = {
                **raw,
                "name": f"rule {number}",
                "mode": "distribute_points",
                "gameObjectType": "leaderboard",
                "gameObjectId": board.id,
            }
            rule_service.create(conn, partner_id=partner_id, fields=fields)
    _, _, normalized, _ = b1_rules.workload("virtual-events", 10, events, seed=1)
    for offset in range(0, len(normalized), 100_000):
        with write_transaction(engine) as conn:
            for start in range(offset, min(offset + 100_000, len(normalized)), b1_rules.BATCH):
                body = entries.encode_events(normalized[start : start + b1_rules.BATCH])
                event_log.append(conn, partner_id, entries.EVENTS, body, now_ms=now_ms(), deferred=True)
    del normalized
    gc.collect()
    return engine, partner_id, board


def simulate_seconds(engine: Any, partner_id: int, board: Any) -> tuple[float, int]:
    """Seconds of one `rule/simulate` of the current rules, and the events it replayed."""
    started = time.perf_counter()
    with read_transaction(engine) as conn:
        answer = simulation.simulate(
            conn,
            live=LiveState(),
            partner_id=partner_id,
            record=board,
            candidates=[],
            remove_rule_ids=[],
            window=Window(),
            top=25,
            required=frozenset(),
        )
    return time.perf_counter() - started, int(answer["eventsReplayed"])


def main() -> None:
    """Populate, measure, print the figures as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-b18-") as folder:
        engine, partner_id, board = populate(f"sqlite:///{folder}/b18.db", options.events)
        runs = [simulate_seconds(engine, partner_id, board) for _ in range(options.runs)]
        engine.dispose()
    seconds = statistics.median(seconds for seconds, _ in runs)
    replayed = runs[0][1]
    figures = {"events": replayed, "simulate_s": seconds, "events_per_s": replayed / seconds}
    text = json.dumps(figures)
    if options.json is not None:
        options.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
