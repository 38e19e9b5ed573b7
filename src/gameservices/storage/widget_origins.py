"""Repository of the origins allowed to embed a partner's rank widget."""

from sqlalchemy import Connection, delete, insert, select

from gameservices.storage.schema import widget_origins


def origins_of(conn: Connection, partner_id: int) -> list[str]:
    """A partner's allowed origins, sorted."""
    statement = (
        select(widget_origins.c.origin)
        .where(widget_origins.c.partner_id == partner_id)
        .order_by(widget_origins.c.origin)
    )
    return [str(row[0]) for row in conn.execute(statement)]


def replace_origins(conn: Connection, *, partner_id: int, origins: list[str], now: int) -> None:
    """Make the partner's allowed origins exactly these."""
    conn.execute(delete(widget_origins).where(widget_origins.c.partner_id == partner_id))
    if origins:
        rows = [{"partner_id": partner_id, "origin": origin, "created_at": now} for origin in origins]
        conn.execute(insert(widget_origins), rows)
