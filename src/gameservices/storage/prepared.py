"""Prepared reads for the hottest requests: a Core SELECT compiled once per dialect and run on a pooled DBAPI
connection, without the per-call statement building, cache-key and result machinery of a Connection.

One statement on a connection in autocommit (SQLite here) or in its own short transaction (PostgreSQL: the pool
rolls it back when the connection returns) reads one consistent snapshot. Rows come back as the driver gives
them: no type processing (SQLite booleans are 0/1), so the caller converts what it reads.
"""

import threading
from typing import Any

from sqlalchemy import Engine, Select


class PreparedQuery:
    """A SELECT with named bind parameters, compiled for each dialect it is run against."""

    def __init__(self, statement: Select[Any]) -> None:
        self._statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}
        self._guard = threading.Lock()

    def _sql(self, engine: Engine) -> tuple[str, tuple[str, ...] | None]:
        name = engine.dialect.name
        found = self._compiled.get(name)
        if found is None:
            compiled = self._statement.compile(dialect=engine.dialect)
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            with self._guard:
                found = self._compiled[name] = (str(compiled), order)
        return found

    def rows(self, engine: Engine, params: dict[str, Any], connection: Any = None) -> list[tuple[Any, ...]]:
        """Run the query with these parameter values; every row it returns. It runs on `connection` (a DBAPI
        connection of the engine's database the caller owns) when given, else on one from the engine's pool."""
        sql, order = self._sql(engine)
        values: Any = params if order is None else tuple(params[name] for name in order)
        if connection is not None:
            return _fetch(connection, sql, values)
        pooled = engine.raw_connection()
        try:
            return _fetch(pooled, sql, values)
        finally:
            pooled.close()


def _fetch(connection: Any, sql: str, values: Any) -> list[tuple[Any, ...]]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, values)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()
