"""Repository of scheduled game-object transitions."""

from dataclasses import dataclass

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

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


# Claiming due transitions for the scheduler. A transition is run in the transaction that holds its row lock and
# that checks it is still pending, so however many processes look for due rows, each runs once.


def due_schedules(conn: Connection, *, now: int, limit: int) -> list[ScheduleRecord]:
    """Pending transitions of every partner whose time has come, earliest first."""
    rows = conn.execute(
        select(schedules)
        .where((schedules.c.status == "pending") & (schedules.c.scheduled_date <= now))
        .order_by(schedules.c.scheduled_date, schedules.c.created_at, schedules.c.id)
        .limit(limit)
    )
    return [ScheduleRecord(**row._mapping) for row in rows]


def claim_schedule(conn: Connection, *, partner_id: int, schedule_id: str, now: int) -> ScheduleRecord | None:
    """Lock a due pending transition until the transaction ends; None when it is no longer pending or due, or
    another transaction holds it (``SKIP LOCKED`` on PostgreSQL; SQLite's write lock already serialises)."""
    row = conn.execute(
        select(schedules)
        .where(
            (schedules.c.id == schedule_id)
            & (schedules.c.partner_id == partner_id)
            & (schedules.c.status == "pending")
            & (schedules.c.scheduled_date <= now)
        )
        .with_for_update(skip_locked=True)
    ).first()
    return None if row is None else ScheduleRecord(**row._mapping)


def has_earlier_pending(conn: Connection, record: ScheduleRecord) -> bool:
    """Whether a pending transition of the same game object comes before this one (by date, then creation)."""
    earlier = or_(
        schedules.c.scheduled_date < record.scheduled_date,
        and_(
            schedules.c.scheduled_date == record.scheduled_date,
            or_(
                schedules.c.created_at < record.created_at,
                and_(schedules.c.created_at == record.created_at, schedules.c.id < record.id),
            ),
        ),
    )
    row = conn.execute(
        select(schedules.c.id)
        .where(
            (schedules.c.partner_id == record.partner_id)
            & (schedules.c.game_object_id == record.game_object_id)
            & (schedules.c.status == "pending")
            & earlier
        )
        .limit(1)
    ).first()
    return row is not None


def lock_schedule(conn: Connection, *, partner_id: int, schedule_id: str) -> ScheduleRecord | None:
    """Load one of a partner's transitions and lock it until the transaction ends (to update or cancel it
    without racing the scheduler)."""
    row = conn.execute(
        select(schedules)
        .where((schedules.c.id == schedule_id) & (schedules.c.partner_id == partner_id))
        .with_for_update()
    ).first()
    return None if row is None else ScheduleRecord(**row._mapping)


def is_passing_failure(error: BaseException) -> bool:
    """Whether a database error is passing (lost connection, lock timeout, deadlock, no pooled connection free
    in time) and worth trying again."""
    if isinstance(error, OperationalError | PoolTimeout | DisconnectionError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated
