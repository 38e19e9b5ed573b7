"""B25: 1,000 recurring leaderboards whose periods end at the same instant, all closed by the scheduler's job
(issue 17: all close within 5 s; a figure, never asserted).

A fresh migrated database (SQLite file unless `--url` names another) gets one partner with N daily leaderboards
in UTC whose current period ends at the same instant T (grace 0), one rule each, and `--users` ranked users on
each (events sent through the `event/send` service). The timed part is what the scheduler does at T: the job
`period_close.close_due` run until nothing is due, each close in its own transaction (claim the period end,
rank the period, one leaderboardPeriodEnd event per ranked user through the rules engine, one log entry,
schedule the next end). Reported: seconds from T to the last close, closes per second.

Run: PYTHONPATH=src:bench python bench/b25_period_closes.py [--boards 1000] [--users 10] [--url URL]; prints
JSON.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from gameservices.domain.timefmt import format_ms, now_ms
from gameservices.projection.live import LiveState
from gameservices.services.access.partner import create_partner
from gameservices.services.catalog import game_objects
from gameservices.services.catalog import rule as rule_service
from gameservices.services.catalog.leaderboard import LEADERBOARD
from gameservices.services.periods import close as period_close
from gameservices.services.scoring import event
from gameservices.storage import periods as period_repository
from gameservices.storage.database import open_engine, read_transaction, write_transaction
from gameservices.storage.migrate import upgrade

DAY = 86_400_000


def populate(url: str, boards: int, users: int) -> tuple[Any, LiveState, int, int]:
    """The partner's leaderboards, rules and scores; (engine, live state, partner id, T in epoch ms)."""
    engine = open_engine(url)
    upgrade(engine)
    live = LiveState()
    now = now_ms()
    ends = (now + 3_600_000) // 1000 * 1000
    recurrence = {"unit": "day", "anchor": format_ms(ends - DAY)[:19], "timezone": "UTC", "graceSeconds": 0}
    with write_transaction(engine) as conn:
        partner_id = int(create_partner(conn, name="bench")["partnerId"])
        for number in range(boards):
            fields = {
                "name": f"board {number}",
                "status": "enabled",
                "virtualEventIds": ["ve0"],
                "startDate": now - DAY,
                "endDate": now + DAY,
                "recurrence": recurrence,
            }
            board = game_objects.create(conn, partner_id=partner_id, kind=LEADERBOARD, fields=fields)
            rule_service.create(conn, partner_id=partner_id, fields=_rule(board.id, number))
    raw = [
        {
            "eventType": "act",
            "board": number,
            "userId": f"u{user}",
            "points": user + 1,
            "eventTime": now / 1000,
        }
        for number in range(boards)
        for user in range(users)
    ]
    for start in range(0, len(raw), event.MAX_EVENTS_PER_CALL):
        with live.writing(partner_id) as state, write_transaction(engine) as conn:
            part = raw[start : start + event.MAX_EVENTS_PER_CALL]
            event.send(conn, state=state, partner_id=partner_id, raw_events=part, received_at=time.time())
    return engine, live, partner_id, ends


def _rule(board_id: str, number: int) -> dict[str, Any]:
    return {
        "name": "points",
        "gameObjectType": "leaderboard",
        "gameObjectId": board_id,
        "mode": "distribute_points",
        "conditions": [
            {"fact": "eventType", "operator": "equal", "value": "act"},
            {"fact": "board", "operator": "equal", "value": number},
        ],
        "type": "sum",
        "metric": "points",
        "groupBy": "kuserId",
        "goal": "1",
        "points": "1",
        "maxPoints": "unlimited",
    }


def measure(url: str, boards: int, users: int) -> dict[str, Any]:
    """Close every board's period at T and time it."""
    engine, live, partner_id, ends = populate(url, boards, users)
    started = time.perf_counter()
    while period_close.close_due(engine, live, now=ends, limit=100):
        pass
    seconds = time.perf_counter() - started
    with read_transaction(engine) as conn:
        closed = sum(len(found) for found in period_repository.closed_periods(conn, partner_id).values())
    engine.dispose()
    return {
        "boards": boards,
        "users_per_board": users,
        "closed": closed,
        "close_all_s": seconds,
        "closes_per_s": closed / seconds,
    }


def main() -> None:
    """Measure and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--boards", type=int, default=1_000)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--url", default=None)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = options.url or f"sqlite:///{Path(directory) / 'b25.db'}"
        print(json.dumps(measure(url, options.boards, options.users)))


if __name__ == "__main__":
    main()
