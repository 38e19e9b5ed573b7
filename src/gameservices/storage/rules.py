"""Repository of rules; a rule belongs to one game object of its partner."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from gameservices.domain.listing import ListQuery
from gameservices.storage.listing import fetch_page
from gameservices.storage.schema import rules


@dataclass(frozen=True)
class RuleRecord:
    """A stored rule; ``data`` holds its API fields (conditions, type, subRules, ...)."""

    id: str
    partner_id: int
    game_object_type: str
    game_object_id: str
    name: str
    status: str
    position: int
    data: dict[str, Any]
    created_at: int
    updated_at: int


def insert_rule(conn: Connection, record: RuleRecord) -> None:
    """Store a new rule."""
    conn.execute(insert(rules).values(**record.__dict__))


def get_rule(conn: Connection, *, partner_id: int, rule_id: str) -> RuleRecord | None:
    """Load one of a partner's rules."""
    row = conn.execute(
        select(rules).where((rules.c.id == rule_id) & (rules.c.partner_id == partner_id))
    ).first()
    return None if row is None else RuleRecord(**row._mapping)


def update_rule(conn: Connection, record: RuleRecord) -> None:
    """Write back a changed rule."""
    conn.execute(
        update(rules)
        .where((rules.c.id == record.id) & (rules.c.partner_id == record.partner_id))
        .values(name=record.name, status=record.status, data=record.data, updated_at=record.updated_at)
    )


def delete_rule(conn: Connection, *, partner_id: int, rule_id: str) -> bool:
    """Remove a rule; False when it did not exist."""
    result = conn.execute(delete(rules).where((rules.c.id == rule_id) & (rules.c.partner_id == partner_id)))
    return result.rowcount > 0


def delete_rules_of(conn: Connection, *, partner_id: int, game_object_id: str) -> None:
    """Remove every rule of a game object."""
    conn.execute(
        delete(rules).where((rules.c.partner_id == partner_id) & (rules.c.game_object_id == game_object_id))
    )


def rules_of(conn: Connection, *, partner_id: int, game_object_id: str) -> list[RuleRecord]:
    """The rules of a game object in the order they were added."""
    statement = (
        select(rules)
        .where((rules.c.partner_id == partner_id) & (rules.c.game_object_id == game_object_id))
        .order_by(rules.c.position, rules.c.created_at, rules.c.id)
    )
    return [RuleRecord(**row._mapping) for row in conn.execute(statement)]


def next_position(conn: Connection, *, partner_id: int, game_object_id: str) -> int:
    """The position after the last rule of a game object."""
    highest = conn.execute(
        select(func.max(rules.c.position)).where(
            (rules.c.partner_id == partner_id) & (rules.c.game_object_id == game_object_id)
        )
    ).scalar()
    return 0 if highest is None else int(highest) + 1


def list_rules(conn: Connection, *, partner_id: int, query: ListQuery) -> tuple[int, list[RuleRecord]]:
    """One page of a partner's rules matching the query, with the total count."""
    total, rows = fetch_page(conn, rules, [rules.c.partner_id == partner_id], query)
    return total, [RuleRecord(**row) for row in rows]


def all_rules(conn: Connection, *, partner_id: int | None = None) -> list[RuleRecord]:
    """Every rule (of one partner, or of all)."""
    statement = select(rules).order_by(rules.c.position, rules.c.created_at, rules.c.id)
    if partner_id is not None:
        statement = statement.where(rules.c.partner_id == partner_id)
    return [RuleRecord(**row._mapping) for row in conn.execute(statement)]
