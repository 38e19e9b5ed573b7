"""B9: writing 1,000,000 changed bucket rows to SQLite in one transaction (DESIGN.md section 8: <= 8 s).

The service path is `storage.bucket_repository.save_buckets` (per user per entry keys, as the B1 watch rule makes)
into a fresh migrated database; the anchor is a bare sqlite3 `executemany` upsert of the same number of
rows into a table of the same shape (same primary key), same pragmas (WAL, synchronous=FULL).

Run: PYTHONPATH=src:bench python bench/b9_checkpoint.py [--rows 1000000] [--runs 3]; prints JSON.
"""

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.services.access.partner import create_partner
from gameservices.storage import buckets as bucket_repository
from gameservices.storage.database import open_engine, write_transaction
from gameservices.storage.migrate import upgrade


def changed_buckets(rows: int) -> dict[BucketKey, Bucket]:
    """`rows` buckets of one rule, keyed by user and entry."""
    return {
        ("rule-watch", (f"user{n // 10:07d}@example.com", f"0_{n % 10:05d}")): Bucket(
            f"user{n // 10:07d}@example.com", progress=float(n % 97), awarded=10.0, updated_at=1.75e9
        )
        for n in range(rows)
    }


def service_seconds(folder: Path, changed: dict[BucketKey, Bucket]) -> float:
    """Seconds to save the buckets through the repository (a fresh database each time)."""
    path = folder / f"service-{time.monotonic_ns()}.db"
    engine = open_engine(f"sqlite:///{path}")
    upgrade(engine)
    with write_transaction(engine) as conn:
        partner_id = int(create_partner(conn, name="bench")["partnerId"])
    started = time.perf_counter()
    with write_transaction(engine) as conn:
        bucket_repository.save_buckets(conn, partner_id, changed, {})
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def anchor_seconds(folder: Path, rows: int) -> float:
    """Seconds for a bare sqlite3 executemany upsert of as many rows."""
    connection = sqlite3.connect(folder / f"anchor-{time.monotonic_ns()}.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute(
        "CREATE TABLE buckets (partner_id INTEGER, rule_id TEXT, bucket_key TEXT, user_id TEXT, progress REAL,"
        " awarded REAL, completed_at REAL, updated_at REAL, PRIMARY KEY (partner_id, rule_id, bucket_key))"
    )
    values = [
        (
            1,
            "rule-watch",
            f'["user{n // 10:07d}@example.com","0_{n % 10:05d}"]',
            f"user{n // 10:07d}@example.com",
            float(n % 97),
            10.0,
            None,
            1.75e9,
        )
        for n in range(rows)
    ]
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT INTO buckets VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (partner_id, rule_id, bucket_key) DO UPDATE"
        " SET user_id = excluded.user_id, progress = excluded.progress, awarded = excluded.awarded,"
        " completed_at = excluded.completed_at, updated_at = excluded.updated_at",
        values,
    )
    connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def main() -> None:
    """Measure the service and the anchor; print the figures as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    changed = changed_buckets(options.rows)
    with tempfile.TemporaryDirectory(prefix="bench-b9-") as folder:
        anchor = statistics.median(anchor_seconds(Path(folder), options.rows) for _ in range(options.runs))
        ours = statistics.median(service_seconds(Path(folder), changed) for _ in range(options.runs))
    print(json.dumps({"rows": options.rows, "checkpoint_s": ours, "anchor_s": anchor}))


if __name__ == "__main__":
    main()
