"""Repository of the player's viewing sessions: the last VIEW's ``playTimeSum`` and ``eventIndex`` of each, per
(partner, user, entry, sessionId), so that the play time a VIEW beacon adds is the same whichever process receives
it."""

from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, delete, select, tuple_

from gameservices.storage.schema import partners, player_sessions
from gameservices.storage.upsert import upsert

# (user id, entry id, session id)
SessionKey = tuple[str, str, str]
# A session's last VIEW: (playTimeSum, eventIndex or None when kept before the index was).
LastView = tuple[float, int | None]
_CHUNK = 300


def lock_sessions(conn: Connection, *, partner_id: int) -> None:
    """Hold the partner's sessions until the transaction ends, so that no other process reads a sum this one is
    about to change: PostgreSQL locks the partner row (as event/send does); a SQLite write transaction already
    holds the database's write lock."""
    if conn.dialect.name != "sqlite":
        conn.execute(select(partners.c.id).where(partners.c.id == partner_id).with_for_update())


def last_views(
    conn: Connection, *, partner_id: int, keys: Iterable[SessionKey]
) -> dict[SessionKey, LastView]:
    """The last VIEW (playTimeSum, eventIndex) of each of these sessions that the partner's beacons reported."""
    wanted = sorted(set(keys))
    found: dict[SessionKey, LastView] = {}
    columns = (player_sessions.c.user_id, player_sessions.c.entry_id, player_sessions.c.session_id)
    for start in range(0, len(wanted), _CHUNK):
        statement = select(*columns, player_sessions.c.play_time_sum, player_sessions.c.event_index).where(
            (player_sessions.c.partner_id == partner_id)
            & tuple_(*columns).in_(wanted[start : start + _CHUNK])
        )
        for user_id, entry_id, session_id, play_time_sum, event_index in conn.execute(statement):
            found[(user_id, entry_id, session_id)] = (play_time_sum, event_index)
    return found


def save_views(
    conn: Connection, *, partner_id: int, views: Mapping[SessionKey, LastView], now: float
) -> None:
    """Remember the last VIEW (playTimeSum, eventIndex) of these sessions."""
    rows = [
        {
            "partner_id": partner_id,
            "user_id": user_id,
            "entry_id": entry_id,
            "session_id": session_id,
            "play_time_sum": play_time_sum,
            "event_index": event_index,
            "updated_at": now,
        }
        for (user_id, entry_id, session_id), (play_time_sum, event_index) in views.items()
    ]
    upsert(
        conn,
        player_sessions,
        rows,
        keys=("partner_id", "user_id", "entry_id", "session_id"),
        set_=lambda new: {
            "play_time_sum": new.play_time_sum,
            "event_index": new.event_index,
            "updated_at": new.updated_at,
        },
    )


def forget_idle(conn: Connection, *, before: float) -> int:
    """Drop the sessions no VIEW beacon has reported since `before`; how many went."""
    return conn.execute(delete(player_sessions).where(player_sessions.c.updated_at < before)).rowcount
