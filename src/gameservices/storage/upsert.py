"""Insert-or-update of many rows at once, in the dialect of the connection (SQLite or PostgreSQL)."""

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, MetaData, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

# SQLite text of each bulk upsert of `upsert_tuples`, compiled once per process.
_COMPILED: dict[str, str] = {}
# From this many rows, PostgreSQL gets them through COPY into a temporary table and one INSERT ... SELECT (the
# rows' keys must then be distinct when `set_` is given, as PostgreSQL updates a row once per statement).
COPY_FROM = 1_000
_STAGING = MetaData()
_STAGING_GUARD = threading.Lock()
# Builds the SET clause of the update from the statement's ``excluded`` row.
SetClause = Callable[[Any], dict[str, Any]]


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    set_: SetClause | None,
) -> None:
    """Insert the rows; on a key conflict update the row with ``set_`` (or leave it when ``set_`` is None)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(_on_conflict(postgresql.insert(table), keys, set_), list(rows))
    else:
        conn.execute(_on_conflict(sqlite.insert(table), keys, set_), list(rows))


def upsert_tuples(
    conn: Connection,
    table: Table,
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    keys: Sequence[str],
    set_: SetClause | None,
) -> None:
    """Insert-or-update rows given as tuples in `names` order (see ``upsert``).

    On SQLite the rows go straight to the driver's executemany with a statement compiled once: building
    SQLAlchemy's per-row parameters costs more than SQLite's own work for a checkpoint of a million rows.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        if len(rows) >= COPY_FROM:
            _copy_upsert(conn, table, names, rows, keys=keys, set_=set_)
        else:
            upsert(conn, table, [dict(zip(names, row, strict=True)) for row in rows], keys=keys, set_=set_)
        return
    cache_key = f"{table.name}:{','.join(names)}:{','.join(keys)}:{set_ is None}"
    sql = _COMPILED.get(cache_key)
    if sql is None:
        values = sqlite.insert(table).values({name: bindparam(name) for name in names})
        statement = _on_conflict(values, keys, set_)
        compiled = statement.compile(dialect=conn.dialect)
        # The driver takes the values in the statement's order: callers pass them in the table's order.
        if list(compiled.positiontup or ()) != list(names):
            raise ValueError(f"pass {table.name} values in this order: {compiled.positiontup}")
        sql = _COMPILED[cache_key] = str(compiled)
    conn.exec_driver_sql(sql, list(rows))


Insert = TypeVar("Insert", postgresql.Insert, sqlite.Insert)


def _on_conflict(statement: Insert, keys: Sequence[str], set_: SetClause | None) -> Insert:
    """The insert, leaving a row whose keys are taken (``set_`` None) or updating it with ``set_``."""
    if set_ is None:
        return statement.on_conflict_do_nothing(index_elements=list(keys))
    return statement.on_conflict_do_update(index_elements=list(keys), set_=set_(statement.excluded))


def _copy_upsert(
    conn: Connection,
    table: Table,
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    keys: Sequence[str],
    set_: SetClause | None,
) -> None:
    """PostgreSQL: COPY the rows into a temporary table of the connection (emptied at each commit), then insert
    or update them from it in one statement."""
    staging = _staging_table(table)
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging.name} "
        f"(LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    conn.exec_driver_sql(f"TRUNCATE {staging.name}")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {staging.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()
    source = select(*(staging.c[name] for name in names))
    conn.execute(_on_conflict(postgresql.insert(table).from_select(list(names), source), keys, set_))


def _staging_table(table: Table) -> Table:
    name = f"staging_{table.name}"
    with _STAGING_GUARD:
        found = _STAGING.tables.get(name)
        if found is None:
            columns = [Column(column.name, column.type) for column in table.columns]
            found = Table(name, _STAGING, *columns)
        return found
