"""The migrations build exactly the schema the code declares, on SQLite (in WAL mode) and PostgreSQL."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from gameservices.storage import migrate
from gameservices.storage.database import (
    is_sqlite,
    normalize_url,
    open_engine,
    read_transaction,
    write_transaction,
)
from gameservices.storage.migrate import upgrade
from gameservices.storage.schema import metadata, user_scores
from gameservices.storage.upsert import upsert
from tests.conftest import DATABASES, POSTGRES_URL, postgres_database

HEAD = "0021"


def test_migrated_schema_matches_the_tables(engine: Engine) -> None:
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    with read_transaction(engine) as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD


def test_sqlite_runs_in_wal_mode(engine: Engine) -> None:
    if not is_sqlite(engine):
        pytest.skip("a SQLite setting")
    with read_transaction(engine) as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2


# The tables revision 0005 rebuilds without a rowid on SQLite.
REBUILT = (
    "bucket_values",
    "user_rule_scores",
    "user_scores",
    "processed_events",
    "entries",
    "user_badges",
)
ROWS: dict[str, list[dict[str, Any]]] = {
    "buckets": [
        {
            "partner_id": 7,
            "rule_id": "rule-a",
            "bucket_key": '["u1"]',
            "user_id": "u1",
            "progress": 2.5,
            "awarded": 10.0,
            "completed_at": None,
            "updated_at": 1.75e9,
        },
        {
            "partner_id": 7,
            "rule_id": "rule-a/0",
            "bucket_key": '["u2","e1"]',
            "user_id": None,
            "progress": 1.0,
            "awarded": 0.0,
            "completed_at": 1.76e9,
            "updated_at": 1.76e9,
        },
    ],
    "bucket_values": [
        {"partner_id": 7, "rule_id": "rule-a", "bucket_key": '["u1"]', "value": "e1"},
        {"partner_id": 7, "rule_id": "rule-a", "bucket_key": '["u1"]', "value": "e2"},
    ],
    "user_rule_scores": [
        {
            "partner_id": 7,
            "game_object_id": "board",
            "user_id": "u1",
            "rule_id": "rule-a",
            "score": 12.5,
            "updated_at": 1.75e9,
        },
        {
            "partner_id": 7,
            "game_object_id": "board",
            "user_id": "u1",
            "rule_id": "rule-b",
            "score": -3.0,
            "updated_at": 1.75e9,
        },
    ],
    "user_scores": [
        {
            "partner_id": 7,
            "game_object_id": "board",
            "user_id": "u1",
            "score": 9.5,
            "reached_at": 1.75e9,
            "hidden": False,
        },
        {
            "partner_id": 7,
            "game_object_id": "board",
            "user_id": "u2",
            "score": 3.0,
            "reached_at": 1.74e9,
            "hidden": True,
        },
    ],
    "processed_events": [{"partner_id": 7, "event_id": "e-1"}, {"partner_id": 8, "event_id": "e-1"}],
    "entries": [
        {"partner_id": 7, "entry_id": "0_a", "entry_name": "A", "duration": 60.0, "updated_at": 1.75e9},
        {"partner_id": 7, "entry_id": "0_b", "entry_name": None, "duration": None, "updated_at": 1.75e9},
    ],
    "user_badges": [{"partner_id": 7, "badge_id": "badge", "user_id": "u1", "achieved_at": 1.75e9}],
}


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(migrate.__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        if down:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)


# Columns later revisions add to the tables above: not there at revision 0004.
ADDED_LATER = {"entries": ("categories", "virtual_event_id", "created_at")}


def _columns(name: str) -> list[Any]:
    return [
        column for column in metadata.tables[name].columns if column.name not in ADDED_LATER.get(name, ())
    ]


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with read_transaction(engine) as conn:
        return {
            name: sorted(
                (tuple(row) for row in conn.execute(select(*_columns(name)))),
                key=lambda row: tuple(str(value) for value in row),
            )
            for name in ROWS
        }


def _without_rowid(engine: Engine) -> dict[str, bool]:
    with read_transaction(engine) as conn:
        return {
            name: "WITHOUT ROWID" in sql.upper()
            for name, sql in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }


@pytest.fixture(params=DATABASES)
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each kind, migrated by the test itself."""
    if request.param == "postgres":
        if not POSTGRES_URL:
            pytest.skip("GAMESERVICES_TEST_POSTGRES_URL is not set")
        url = postgres_database(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    else:
        url = f"sqlite:///{tmp_path / 'gameservices.db'}"
    opened = open_engine(url)
    yield opened
    opened.dispose()
    if request.param == "postgres":
        assert POSTGRES_URL is not None
        admin = create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}"'))
        admin.dispose()


def test_engine_state_tables_are_without_rowid_on_sqlite(engine: Engine) -> None:
    if not is_sqlite(engine):
        pytest.skip("a SQLite storage option")
    layout = _without_rowid(engine)
    # Revisions 0008 (player_sessions) and 0013 (period_scores) create their tables without a rowid.
    assert {name for name, without in layout.items() if without} == {
        *REBUILT,
        "player_sessions",
        "period_scores",
    }
    # Tables with a second index or unique key keep their rowid, and so does the event log, whose rows are far
    # larger than a page (revision 0017).
    assert not layout["event_log"]
    assert not layout["buckets"]
    assert not layout["user_certificates"]
    assert not layout["user_profiles"]


def test_revision_0005_keeps_rows_indexes_and_keys(fresh_engine: Engine) -> None:
    _migrate(fresh_engine, "0004")
    with write_transaction(fresh_engine) as conn:
        for name, rows in ROWS.items():
            conn.execute(insert(metadata.tables[name]), rows)
    before = _rows(fresh_engine)
    assert all(len(before[name]) == len(rows) for name, rows in ROWS.items())

    _migrate(fresh_engine, "head")

    assert _rows(fresh_engine) == before
    with fresh_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        indexes = {index["name"]: index["column_names"] for index in inspect(conn).get_indexes("buckets")}
        assert indexes["ix_buckets_partner_user"] == ["partner_id", "user_id"]
        for name in ROWS:
            assert inspect(conn).get_pk_constraint(name)["constrained_columns"] == [
                column.name for column in metadata.tables[name].primary_key
            ]
    if is_sqlite(fresh_engine):
        layout = _without_rowid(fresh_engine)
        assert all(layout[name] for name in REBUILT)
        with read_transaction(fresh_engine) as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    # The primary keys still refuse a second row with the same key.
    for name in ROWS:
        with pytest.raises(IntegrityError), write_transaction(fresh_engine) as conn:
            conn.execute(insert(metadata.tables[name]), ROWS[name][0])
    # Upserts through the repositories' conflict targets still work on the rebuilt tables.
    with write_transaction(fresh_engine) as conn:
        upsert(
            conn,
            user_scores,
            [{**ROWS["user_scores"][0], "score": 11.0}],
            keys=("partner_id", "game_object_id", "user_id"),
            set_=lambda new: {"score": new.score},
        )
        score = conn.execute(select(user_scores.c.score).where(user_scores.c.user_id == "u1")).scalar_one()
    assert score == 11.0


def test_revision_0005_downgrades_and_upgrades_again(fresh_engine: Engine) -> None:
    _migrate(fresh_engine, "0004")
    with write_transaction(fresh_engine) as conn:
        for name, rows in ROWS.items():
            conn.execute(insert(metadata.tables[name]), rows)
    _migrate(fresh_engine, "head")
    upgraded = _rows(fresh_engine)

    _migrate(fresh_engine, "0004", down=True)

    assert _rows(fresh_engine) == upgraded
    if is_sqlite(fresh_engine):
        assert not any(_without_rowid(fresh_engine).values())
    with fresh_engine.connect() as conn:
        indexes = {index["name"] for index in inspect(conn).get_indexes("buckets")}
    assert "ix_buckets_partner_user" in indexes
    _migrate(fresh_engine, "head")
    assert _rows(fresh_engine) == upgraded
    with read_transaction(fresh_engine) as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD


def test_revision_0008_keeps_entries_and_adds_their_settings(fresh_engine: Engine) -> None:
    _migrate(fresh_engine, "0005")
    entry = {
        "partner_id": 7,
        "entry_id": "0_e",
        "entry_name": "Keynote",
        "duration": 60.0,
        "updated_at": 1.75e9,
    }
    with write_transaction(fresh_engine) as conn:
        conn.execute(
            text(
                "INSERT INTO entries (partner_id, entry_id, entry_name, duration, updated_at) "
                "VALUES (:partner_id, :entry_id, :entry_name, :duration, :updated_at)"
            ),
            entry,
        )
    _migrate(fresh_engine, "head")
    with read_transaction(fresh_engine) as conn:
        row = conn.execute(text("SELECT * FROM entries")).mappings().one()
        assert {**entry, "categories": None, "virtual_event_id": None, "created_at": None} == dict(row)
        assert conn.execute(text("SELECT COUNT(*) FROM player_sessions")).scalar_one() == 0
    _migrate(fresh_engine, "0005", down=True)
    with read_transaction(fresh_engine) as conn:
        assert dict(conn.execute(text("SELECT * FROM entries")).mappings().one()) == entry
    if is_sqlite(fresh_engine):
        assert _without_rowid(fresh_engine)["entries"]
    _migrate(fresh_engine, "head")


def test_revision_0017_keeps_the_log_and_its_key(fresh_engine: Engine) -> None:
    _migrate(fresh_engine, "0016")
    if is_sqlite(fresh_engine):
        assert _without_rowid(fresh_engine)["event_log"]
    # Bodies larger than a page, as a large batch's are.
    entries = [
        {
            "partner_id": 7,
            "seq": seq,
            "kind": "events",
            "body": bytes([seq]) * 9000,
            "created_at": seq,
            "changes": None,
        }
        for seq in range(1, 6)
    ]
    with write_transaction(fresh_engine) as conn:
        conn.execute(insert(metadata.tables["event_log"]), entries)
    _migrate(fresh_engine, "0017")
    if is_sqlite(fresh_engine):
        assert not _without_rowid(fresh_engine)["event_log"]
    log = metadata.tables["event_log"]
    with read_transaction(fresh_engine) as conn:
        assert [dict(row) for row in conn.execute(select(log).order_by(log.c.seq)).mappings()] == entries
    with pytest.raises(IntegrityError), write_transaction(fresh_engine) as conn:
        conn.execute(insert(log), entries[0])
    _migrate(fresh_engine, "0016", down=True)
    if is_sqlite(fresh_engine):
        assert _without_rowid(fresh_engine)["event_log"]
    with read_transaction(fresh_engine) as conn:
        assert len(conn.execute(select(log)).all()) == len(entries)


def test_revision_0018_keeps_the_sessions_without_an_index(fresh_engine: Engine) -> None:
    _migrate(fresh_engine, "0017")
    sessions = metadata.tables["player_sessions"]
    row = {
        "partner_id": 7,
        "user_id": "ada",
        "entry_id": "e1",
        "session_id": "s1",
        "play_time_sum": 10.05,
        "updated_at": 1.0,
    }
    with write_transaction(fresh_engine) as conn:
        conn.execute(insert(sessions), row)
    _migrate(fresh_engine, "0018")
    with read_transaction(fresh_engine) as conn:
        kept = conn.execute(select(sessions)).mappings().one()
    assert dict(kept) == {**row, "event_index": None}  # (an index kept from now on: not compared before)


def _root_rule(sub_rules: list[dict[str, str]]) -> dict[str, Any]:
    """The `rules` row of partner 7's rule "root" with these sub-rules."""
    return {
        "id": "root",
        "partner_id": 7,
        "game_object_type": "leaderboard",
        "game_object_id": "board",
        "name": "R",
        "status": "enabled",
        "position": 0,
        "data": {"type": "count", "subRules": sub_rules},
        "created_at": 0,
        "updated_at": 0,
    }


def test_revision_0020_keys_sub_rule_buckets_by_the_sub_rules_id(fresh_engine: Engine) -> None:
    _migrate(fresh_engine, "0019")
    rule = _root_rule([{"id": "s-a"}, {"id": "s-b"}, {"name": "without an id"}])
    bucket = {key: ROWS["buckets"][0][key] for key in ROWS["buckets"][0] if key != "rule_id"}
    keys = [(7, "root"), (7, "root/0"), (7, "root/1"), (7, "root/2"), (8, "root/0")]
    with write_transaction(fresh_engine) as conn:
        conn.execute(insert(metadata.tables["rules"]), [rule])
        conn.execute(
            insert(metadata.tables["buckets"]),
            [{**bucket, "partner_id": partner_id, "rule_id": rule_id} for partner_id, rule_id in keys],
        )
        conn.execute(
            insert(metadata.tables["bucket_values"]),
            [{"partner_id": 7, "rule_id": "root/1", "bucket_key": '["u1"]', "value": "e1"}],
        )

    def stored() -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
        with read_transaction(fresh_engine) as conn:
            return (
                {(row.partner_id, row.rule_id) for row in conn.execute(select(metadata.tables["buckets"]))},
                {
                    (row.partner_id, row.rule_id)
                    for row in conn.execute(select(metadata.tables["bucket_values"]))
                },
            )

    _migrate(fresh_engine, "0020")
    # Another partner's buckets and a sub-rule without an id keep their keys.
    assert stored() == (
        {(7, "root"), (7, "root/s-a"), (7, "root/s-b"), (7, "root/2"), (8, "root/0")},
        {(7, "root/s-b")},
    )
    _migrate(fresh_engine, "0019", down=True)
    assert stored() == (set(keys), {(7, "root/1")})


def test_revision_0021_adds_the_ks_uses_and_downgrades(fresh_engine: Engine) -> None:
    _migrate(fresh_engine, "0020")
    assert "ks_uses" not in inspect(fresh_engine).get_table_names()
    _migrate(fresh_engine, "0021")
    row = {"ks_hash": "a" * 64, "partner_id": 7, "expires_at": 2_000_000_000, "uses": 3}
    with write_transaction(fresh_engine) as conn:
        conn.execute(insert(metadata.tables["ks_uses"]), row)
    with read_transaction(fresh_engine) as conn:
        assert dict(conn.execute(select(metadata.tables["ks_uses"])).mappings().one()) == row
    _migrate(fresh_engine, "0020", down=True)
    assert "ks_uses" not in inspect(fresh_engine).get_table_names()
    _migrate(fresh_engine, "0021")
    assert "ks_uses" in inspect(fresh_engine).get_table_names()


def test_revision_0020_replaces_buckets_left_under_the_keys_it_moves_to(fresh_engine: Engine) -> None:
    # A position's buckets left behind (its sub-rule removed while buckets were keyed by position) and a sub-rule
    # now at that position: going down, the sub-rule's own buckets take the position's key. Going up, the
    # position's buckets replace any row found under the sub-rule's key.
    _migrate(fresh_engine, "0020")
    rule = _root_rule([{"id": "s-a"}, {"id": "s-b"}])
    bucket = {
        key: ROWS["buckets"][0][key] for key in ROWS["buckets"][0] if key not in ("rule_id", "progress")
    }
    rows = [("root/1", 1.0), ("root/s-a", 2.0), ("root/s-b", 3.0)]
    with write_transaction(fresh_engine) as conn:
        conn.execute(insert(metadata.tables["rules"]), [rule])
        conn.execute(
            insert(metadata.tables["buckets"]),
            [
                {**bucket, "partner_id": 7, "rule_id": rule_id, "progress": progress}
                for rule_id, progress in rows
            ],
        )
        conn.execute(
            insert(metadata.tables["bucket_values"]),
            [
                {"partner_id": 7, "rule_id": rule_id, "bucket_key": bucket["bucket_key"], "value": "e1"}
                for rule_id, _ in rows
            ],
        )

    def stored() -> tuple[dict[str, float], set[str]]:
        with read_transaction(fresh_engine) as conn:
            return (
                {row.rule_id: row.progress for row in conn.execute(select(metadata.tables["buckets"]))},
                {row.rule_id for row in conn.execute(select(metadata.tables["bucket_values"]))},
            )

    _migrate(fresh_engine, "0019", down=True)
    assert stored() == ({"root/0": 2.0, "root/1": 3.0}, {"root/0", "root/1"})
    with write_transaction(fresh_engine) as conn:
        conn.execute(
            insert(metadata.tables["buckets"]),
            [{**bucket, "partner_id": 7, "rule_id": "root/s-b", "progress": 9.0}],
        )
    _migrate(fresh_engine, "0020")
    assert stored() == ({"root/s-a": 2.0, "root/s-b": 3.0}, {"root/s-a", "root/s-b"})
