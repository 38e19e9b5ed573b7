"""The SQLite checkpointer copies committed pages from the write-ahead log into the database file."""

import time
from pathlib import Path

from sqlalchemy import text

from gameservices.storage.database import Checkpointer, open_engine, write_transaction


def _database_bytes(path: Path) -> int:
    return path.stat().st_size


def test_committed_pages_reach_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.db"
    engine = open_engine(f"sqlite:///{path}")
    with write_transaction(engine) as conn:
        conn.execute(text("CREATE TABLE filler (value TEXT)"))
    before = _database_bytes(path)
    with write_transaction(engine) as conn:
        conn.execute(text("INSERT INTO filler VALUES (:value)"), [{"value": "x" * 500}] * 400)
    assert _database_bytes(path) == before  # committed into the log only, under the auto-checkpoint threshold
    checkpointer = Checkpointer(engine, interval_seconds=0.01).start()
    try:
        deadline = time.monotonic() + 10
        while _database_bytes(path) == before and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        checkpointer.stop()
    assert _database_bytes(path) > before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM filler")).scalar() == 400
    engine.dispose()


def test_stopping_twice_and_other_databases_are_harmless(tmp_path: Path) -> None:
    checkpointer = Checkpointer(
        open_engine(f"sqlite:///{tmp_path / 'idle.db'}"), interval_seconds=0.01
    ).start()
    checkpointer.stop()
    checkpointer.stop()
