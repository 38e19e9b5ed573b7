"""The migrations build exactly the schema the code declares, on SQLite (in WAL mode) and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from gameservices.storage.database import is_sqlite, read_transaction
from gameservices.storage.migrate import upgrade
from gameservices.storage.schema import metadata


def test_migrated_schema_matches_the_tables(engine: Engine) -> None:
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    with read_transaction(engine) as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0004"


def test_sqlite_runs_in_wal_mode(engine: Engine) -> None:
    if not is_sqlite(engine):
        pytest.skip("a SQLite setting")
    with read_transaction(engine) as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2
