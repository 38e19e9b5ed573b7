"""Insert-or-update of many rows at once, in the dialect of the connection (SQLite or PostgreSQL)."""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

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
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    if set_ is None:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    else:
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=set_(statement.excluded))
    conn.execute(statement, list(rows))
