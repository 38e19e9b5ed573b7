"""Reads that bypass SQLAlchemy's per-call and per-row machinery: a Core SELECT compiled once per dialect and run
on a pooled DBAPI connection (the hottest requests), and large results read in chunks by the driver's cursor
inside the current transaction (loads and reports).

One statement on a connection in autocommit (SQLite here) or in its own short transaction (PostgreSQL: the pool
rolls it back when the connection returns) reads one consistent snapshot. Rows come back as the driver gives
them: no type processing (SQLite booleans are 0/1), so the caller converts what it reads.
"""

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, Select
from sqlalchemy.sql.compiler import SQLCompiler


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
            with self._guard:
                found = self._compiled[name] = _compile(self._statement, engine.dialect)
        return found

    def rows(self, engine: Engine, params: dict[str, Any], connection: Any = None) -> list[tuple[Any, ...]]:
        """Run the query with these parameter values; every row it returns. It runs on `connection` (a DBAPI
        connection of the engine's database the caller owns) when given, else on one from the engine's pool."""
        sql, order = self._sql(engine)
        values = _values(order, params)
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


def driver_chunks(conn: Connection, statement: Select[Any], rows_per_chunk: int) -> Iterator[Sequence[Any]]:
    """The rows of a statement (its bound values included) in lists of up to `rows_per_chunk` plain tuples, read
    by the driver's own cursor on the connection, inside its current transaction: building many SQLAlchemy rows
    costs more than reading them."""
    compiled = statement.compile(dialect=conn.dialect)
    values = _values(_order(compiled), compiled.construct_params())
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), values)
        while chunk := cursor.fetchmany(rows_per_chunk):
            yield chunk
    finally:
        cursor.close()


def _compile(statement: Select[Any], dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The statement's SQL for a dialect, and its parameter names in order when the driver takes them by
    position (None when it takes them by name)."""
    compiled = statement.compile(dialect=dialect)
    return str(compiled), _order(compiled)


def _order(compiled: SQLCompiler) -> tuple[str, ...] | None:
    return tuple(compiled.positiontup or ()) if compiled.positional else None


def _values(order: tuple[str, ...] | None, params: Mapping[str, Any]) -> Any:
    return params if order is None else tuple(params[name] for name in order)
