"""Repository of game objects: leaderboards, badges, certificates and lead-scoring profiles."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from gameservices.domain.listing import ListQuery
from gameservices.storage.listing import ordered, where_clauses
from gameservices.storage.schema import game_objects


@dataclass(frozen=True)
class GameObjectRecord:
    """A stored game object; ``data`` holds every API field that has no column of its own."""

    id: str
    partner_id: int
    object_type: str
    name: str
    status: str
    data: dict[str, Any]
    created_at: int
    updated_at: int


def insert_game_object(conn: Connection, record: GameObjectRecord) -> None:
    """Store a new game object."""
    conn.execute(insert(game_objects).values(**record.__dict__))


def get_game_object(conn: Connection, *, partner_id: int, object_id: str) -> GameObjectRecord | None:
    """Load one of a partner's game objects, of any type."""
    row = conn.execute(
        select(game_objects).where(
            (game_objects.c.id == object_id) & (game_objects.c.partner_id == partner_id)
        )
    ).first()
    return None if row is None else GameObjectRecord(**row._mapping)


def update_game_object(conn: Connection, record: GameObjectRecord) -> None:
    """Write back a changed game object."""
    conn.execute(
        update(game_objects)
        .where((game_objects.c.id == record.id) & (game_objects.c.partner_id == record.partner_id))
        .values(name=record.name, status=record.status, data=record.data, updated_at=record.updated_at)
    )


def set_status(conn: Connection, *, partner_id: int, object_id: str, status: str, now: int) -> bool:
    """Change a game object's status; False when it does not exist."""
    result = conn.execute(
        update(game_objects)
        .where((game_objects.c.id == object_id) & (game_objects.c.partner_id == partner_id))
        .values(status=status, updated_at=now)
    )
    return result.rowcount > 0


def delete_game_object(conn: Connection, *, partner_id: int, object_id: str) -> bool:
    """Remove a game object; False when it did not exist."""
    result = conn.execute(
        delete(game_objects).where(
            (game_objects.c.id == object_id) & (game_objects.c.partner_id == partner_id)
        )
    )
    return result.rowcount > 0


def list_game_objects(
    conn: Connection, *, partner_id: int, object_type: str, query: ListQuery
) -> list[GameObjectRecord]:
    """Every game object of a type matching the query's column filters, in the query's order (not paged)."""
    clauses = [game_objects.c.partner_id == partner_id, game_objects.c.object_type == object_type]
    clauses += where_clauses(game_objects, query)
    statement = ordered(select(game_objects).where(*clauses), game_objects, query)
    return [GameObjectRecord(**row._mapping) for row in conn.execute(statement)]


def all_game_objects(conn: Connection, *, partner_id: int | None = None) -> list[GameObjectRecord]:
    """Every game object (of one partner, or of all)."""
    statement = select(game_objects)
    if partner_id is not None:
        statement = statement.where(game_objects.c.partner_id == partner_id)
    return [GameObjectRecord(**row._mapping) for row in conn.execute(statement)]
