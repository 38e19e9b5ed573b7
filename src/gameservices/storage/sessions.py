"""Repository of ended sessions: the KSs ``session.end`` revoked, stored as a SHA-256 of the KS string (a
leaked table reveals no usable KS, and the lookup on every request is one primary-key read)."""

import hashlib

from sqlalchemy import Connection, delete, select

from gameservices.auth.ks_format import canonical
from gameservices.storage.schema import revoked_sessions
from gameservices.storage.upsert import upsert


def ks_hash(ks: str) -> str:
    """The key a KS is stored under: that of its bytes, however the KS is spelled."""
    return hashlib.sha256(canonical(ks).encode()).hexdigest()


def revoke(conn: Connection, *, ks: str, partner_id: int, expires_at: int, now_ms: int) -> None:
    """Record a KS as ended (ending it twice keeps the first record)."""
    row = {"ks_hash": ks_hash(ks), "partner_id": partner_id, "expires_at": expires_at, "revoked_at": now_ms}
    upsert(conn, revoked_sessions, [row], keys=["ks_hash"], set_=None)


def is_revoked(conn: Connection, ks: str) -> bool:
    """Tell whether a KS was ended."""
    statement = select(revoked_sessions.c.ks_hash).where(revoked_sessions.c.ks_hash == ks_hash(ks))
    return conn.execute(statement).first() is not None


def forget_expired(conn: Connection, *, now: int) -> int:
    """Drop the records of KSs past their own expiry (refused as expired anyway); how many went."""
    result = conn.execute(delete(revoked_sessions).where(revoked_sessions.c.expires_at <= now))
    return int(result.rowcount or 0)
