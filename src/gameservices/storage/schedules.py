"""Repository of scheduled game-object transitions."""

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from gameservices.domain.listing import ListQuery
from gameservices.storage.listing import fetch_page
from gameservices.storage.schema import scheduled_game_objects as schedules


@dataclass(frozen=True)
class ScheduleRecord:
    """A stored scheduled transition."""

    id: str
    partner_id: int
    game_object_type: str
    game_object_id: str
    scheduled_action: str
    scheduled_date: int
    status: str
    executed_at: int | None
    error: str | None
    created_at: int
    updated_at: int


def insert_schedule(conn: Connection, record: ScheduleRecord) -> None:
    """Store a new scheduled transition."""
    conn.execute(insert(schedules).values(**record.__dict__))


def get_schedule(conn: Connection, *, partner_id: int, schedule_id: str) -> ScheduleRecord | None:
    """Load one of a partner's scheduled transitions."""
    row = conn.execute(
        select(schedules).where((schedules.c.id == schedule_id) & (schedules.c.partner_id == partner_id))
    ).first()
    return None if row is None else ScheduleRecord(**row._mapping)


def update_schedule(conn: Connection, record: ScheduleRecord) -> None:
    """Write back a changed scheduled transition."""
    values = {
        key: value for key, value in record.__dict__.items() if key not in ("id", "partner_id", "created_at")
    }
    conn.execute(
        update(schedules)
        .where((schedules.c.id == record.id) & (schedules.c.partner_id == record.partner_id))
        .values(**values)
    )


def list_schedules(
    conn: Connection, *, partner_id: int, query: ListQuery
) -> tuple[int, list[ScheduleRecord]]:
    """One page of a partner's scheduled transitions matching the query, with the total count."""
    total, rows = fetch_page(conn, schedules, [schedules.c.partner_id == partner_id], query)
    return total, [ScheduleRecord(**row) for row in rows]


def cancel_schedules_of(conn: Connection, *, partner_id: int, game_object_id: str, now: int) -> None:
    """Cancel every pending transition of a game object (it is being deleted)."""
    conn.execute(
        update(schedules)
        .where(
            (schedules.c.partner_id == partner_id)
            & (schedules.c.game_object_id == game_object_id)
            & (schedules.c.status == "pending")
        )
        .values(status="cancelled", updated_at=now)
    )
