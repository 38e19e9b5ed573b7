"""Turning a ListQuery into SQL over a table with the standard columns."""

from typing import Any

from sqlalchemy import Column, Connection, RowMapping, Select, Table, func, select
from sqlalchemy.sql.elements import ColumnElement

from gameservices.domain.listing import ListQuery

# API field name → column name, for the columns every listed table has.
_STANDARD = {
    "id": "id",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "name": "name",
    "status": "status",
}


def column_for(table: Table, field: str) -> Any:
    """Return the column behind an API field name, or None when the table has none."""
    name = _STANDARD.get(field) or _snake(field)
    return table.c.get(name)


def where_clauses(table: Table, query: ListQuery) -> list[ColumnElement[bool]]:
    """The WHERE terms of a list query on a table."""
    clauses: list[ColumnElement[bool]] = []
    if query.id_in is not None:
        clauses.append(table.c.id.in_(query.id_in))
    bounds = (
        ("created_at", query.created_after, query.created_before),
        ("updated_at", query.updated_after, query.updated_before),
    )
    for name, after, before in bounds:
        if after is not None:
            clauses.append(table.c[name] > after)
        if before is not None:
            clauses.append(table.c[name] < before)
    if query.status is not None:
        clauses.append(table.c.status == query.status)
    for field, value in query.equals.items():
        clauses.append(column_for(table, field) == value)
    return clauses


def ordered(statement: Select[Any], table: Table, query: ListQuery) -> Select[Any]:
    """Apply the query's order, with the id as the tie-breaker so pages never overlap. A missing value (a
    profile without e-mail) sorts before every other, on PostgreSQL as on SQLite."""
    column = column_for(table, query.order_field)
    nullable = isinstance(column, Column) and column.nullable
    if query.descending:
        return statement.order_by(
            column.desc().nulls_last() if nullable else column.desc(), table.c.id.desc()
        )
    return statement.order_by(column.asc().nulls_first() if nullable else column.asc(), table.c.id.asc())


def count_statement(table: Table, clauses: list[ColumnElement[bool]]) -> Select[Any]:
    """SELECT COUNT(*) with the given WHERE terms."""
    return select(func.count()).select_from(table).where(*clauses)


def _snake(field: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in field)


def fetch_page(
    conn: Connection, table: Table, clauses: list[ColumnElement[bool]], query: ListQuery
) -> tuple[int, list[RowMapping]]:
    """The total count and one page of rows of a table, filtered by the query and the extra clauses."""
    clauses = [*clauses, *where_clauses(table, query)]
    total = int(conn.execute(count_statement(table, clauses)).scalar_one())
    statement = (
        ordered(select(table).where(*clauses), table, query).offset(query.offset).limit(query.page_size)
    )
    return total, [row._mapping for row in conn.execute(statement)]
