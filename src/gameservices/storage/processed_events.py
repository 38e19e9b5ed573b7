"""Repository of processed event ids: every event id a partner sent, kept so a repeated one is ignored."""

from collections.abc import Iterable

from sqlalchemy import Connection, select

from gameservices.storage.schema import processed_events
from gameservices.storage.upsert import upsert_tuples

_CHUNK = 500


def known_event_ids(conn: Connection, partner_id: int, event_ids: list[str]) -> set[str]:
    """The event ids among these that the partner already sent."""
    known: set[str] = set()
    for start in range(0, len(event_ids), _CHUNK):
        chunk = event_ids[start : start + _CHUNK]
        statement = select(processed_events.c.event_id).where(
            (processed_events.c.partner_id == partner_id) & processed_events.c.event_id.in_(chunk)
        )
        known.update(conn.execute(statement).scalars())
    return known


def record_event_ids(conn: Connection, partner_id: int, event_ids: Iterable[str]) -> None:
    """Remember event ids forever, so a repeated one is ignored."""
    rows = [(partner_id, event_id) for event_id in event_ids]
    names = ("partner_id", "event_id")
    upsert_tuples(conn, processed_events, names, rows, keys=names, set_=None)
