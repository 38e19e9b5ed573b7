"""Repository of KS uses: how many requests each KS carrying `actionslimit` has made, keyed like the ended
sessions by a SHA-256 of the KS (a leaked table reveals no usable KS). One statement counts a use and reads the
new count, so every process on the database shares each KS's count."""

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from gameservices.storage.schema import ks_uses
from gameservices.storage.sessions import ks_hash


def count_use(conn: Connection, *, ks: str, partner_id: int, expires_at: int) -> int:
    """Count one use of a KS; how many it has made, this one included (INSERT ... ON CONFLICT DO UPDATE ...
    RETURNING: atomic on SQLite ≥ 3.35 and PostgreSQL)."""
    values = {"ks_hash": ks_hash(ks), "partner_id": partner_id, "expires_at": expires_at, "uses": 1}
    insert = postgresql.insert(ks_uses) if conn.dialect.name == "postgresql" else sqlite.insert(ks_uses)
    statement = (
        insert.values(values)
        .on_conflict_do_update(index_elements=[ks_uses.c.ks_hash], set_={"uses": ks_uses.c.uses + 1})
        .returning(ks_uses.c.uses)
    )
    return int(conn.execute(statement).scalar_one())


def uses_of(conn: Connection, ks: str) -> int:
    """How many uses of a KS were counted (0 when none)."""
    row = conn.execute(select(ks_uses.c.uses).where(ks_uses.c.ks_hash == ks_hash(ks))).first()
    return 0 if row is None else int(row.uses)


def forget_expired(conn: Connection, *, now: int) -> int:
    """Drop the counts of KSs past their own expiry (refused as expired anyway); how many went."""
    result = conn.execute(delete(ks_uses).where(ks_uses.c.expires_at <= now))
    return int(result.rowcount or 0)
