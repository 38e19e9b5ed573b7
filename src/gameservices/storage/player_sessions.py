"""Repository of the player's viewing sessions: the last ``playTimeSum`` of each, per (partner, user, entry,
sessionId), so that the play time a VIEW beacon adds is the same whichever process receives it."""

from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, delete, select, tuple_

from gameservices.storage.schema import partners, player_sessions
from gameservices.storage.upsert import upsert

# (user id, entry id, session id)
SessionKey = tuple[str, str, str]
_CHUNK = 300


def lock_sessions(conn: Connection, *, partner_id: int) -> None:
    """Hold the partner's sessions until the transaction ends, so that no other process reads a sum this one is
    about to change: PostgreSQL locks the partner row (as event/send does); a SQLite write transaction already
    holds the database's write lock."""
    if conn.dialect.name != "sqlite":
        conn.execute(select(partners.c.id).where(partners.c.id == partner_id).with_for_update())


def last_sums(conn: Connection, *, partner_id: int, keys: Iterable[SessionKey]) -> dict[SessionKey, float]:
    """The last playTimeSum of each of these sessions that the partner's beacons have reported."""
    wanted = sorted(set(keys))
    found: dict[SessionKey, float] = {}
    columns = (player_sessions.c.user_id, player_sessions.c.entry_id, player_sessions.c.session_id)
    for start in range(0, len(wanted), _CHUNK):
        statement = select(*columns, player_sessions.c.play_time_sum).where(
            (player_sessions.c.partner_id == partner_id)
            & tuple_(*columns).in_(wanted[start : start + _CHUNK])
        )
        for user_id, entry_id, session_id, play_time_sum in conn.execute(statement):
            found[(user_id, entry_id, session_id)] = play_time_sum
    return found


def save_sums(conn: Connection, *, partner_id: int, sums: Mapping[SessionKey, float], now: float) -> None:
    """Remember the last playTimeSum of these sessions."""
    rows = [
        {
            "partner_id": partner_id,
            "user_id": user_id,
            "entry_id": entry_id,
            "session_id": session_id,
            "play_time_sum": play_time_sum,
            "updated_at": now,
        }
        for (user_id, entry_id, session_id), play_time_sum in sums.items()
    ]
    upsert(
        conn,
        player_sessions,
        rows,
        keys=("partner_id", "user_id", "entry_id", "session_id"),
        set_=lambda new: {"play_time_sum": new.play_time_sum, "updated_at": new.updated_at},
    )


def forget_idle(conn: Connection, *, before: float) -> int:
    """Drop the sessions no VIEW beacon has reported since `before`; how many went."""
    return conn.execute(delete(player_sessions).where(player_sessions.c.updated_at < before)).rowcount
