"""Repository of web console sessions, stored by a SHA-256 of the cookie's token (a leaked table gives no
usable cookie)."""

import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from gameservices.storage.schema import console_sessions


@dataclass(frozen=True)
class ConsoleSessionRecord:
    """A signed-in console session."""

    partner_id: int
    ks: str
    csrf_token: str
    expires_at: int


def token_hash(token: str) -> str:
    """The key a session token is stored under."""
    return hashlib.sha256(token.encode()).hexdigest()


def insert_session(conn: Connection, *, token: str, record: ConsoleSessionRecord, now: int) -> None:
    """Store a new session."""
    conn.execute(
        insert(console_sessions).values(
            token_hash=token_hash(token),
            partner_id=record.partner_id,
            ks=record.ks,
            csrf_token=record.csrf_token,
            created_at=now,
            expires_at=record.expires_at,
        )
    )


def get_session(conn: Connection, *, token: str, now: int) -> ConsoleSessionRecord | None:
    """The unexpired session of a token, or None."""
    statement = select(
        console_sessions.c.partner_id,
        console_sessions.c.ks,
        console_sessions.c.csrf_token,
        console_sessions.c.expires_at,
    ).where(console_sessions.c.token_hash == token_hash(token), console_sessions.c.expires_at > now)
    row = conn.execute(statement).first()
    return None if row is None else ConsoleSessionRecord(int(row[0]), str(row[1]), str(row[2]), int(row[3]))


def delete_session(conn: Connection, *, token: str) -> None:
    """End a session (signing out)."""
    conn.execute(delete(console_sessions).where(console_sessions.c.token_hash == token_hash(token)))


def forget_expired(conn: Connection, *, now: int) -> int:
    """Drop expired sessions; how many went."""
    result = conn.execute(delete(console_sessions).where(console_sessions.c.expires_at <= now))
    return int(result.rowcount or 0)
