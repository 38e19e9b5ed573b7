"""The ``scheduledGameObject`` controller: transitions of a game object's status planned for a time."""

from dataclasses import replace
from typing import Any

from gameservices.domain.ids import new_object_id
from gameservices.domain.listing import ListQuery
from gameservices.domain.timefmt import format_ms, now_ms
from gameservices.errors import Conflict, ObjectNotFound, ValidationFailed
from gameservices.storage import game_objects as object_repository
from gameservices.storage import schedules as repository
from gameservices.storage.database import Connection
from gameservices.storage.schedules import ScheduleRecord


def view(record: ScheduleRecord) -> dict[str, Any]:
    """The API form of a stored transition."""
    return {
        "id": record.id,
        "objectType": "ScheduledGameObject",
        "partnerId": record.partner_id,
        "gameObjectType": record.game_object_type,
        "gameObjectId": record.game_object_id,
        "scheduledAction": record.scheduled_action,
        "scheduledDate": format_ms(record.scheduled_date),
        "status": record.status,
        "executedAt": None if record.executed_at is None else format_ms(record.executed_at),
        "error": record.error,
        "createdAt": format_ms(record.created_at),
        "updatedAt": format_ms(record.updated_at),
    }


def create(conn: Connection, *, partner_id: int, fields: dict[str, Any]) -> ScheduleRecord:
    """Plan a transition of one of the partner's game objects."""
    target = object_repository.get_game_object(conn, partner_id=partner_id, object_id=fields["gameObjectId"])
    if target is None:
        raise ObjectNotFound(fields["gameObjectId"], "Game object")
    if target.object_type != fields["gameObjectType"]:
        raise ValidationFailed("gameObjectType", f"the game object is a {target.object_type}")
    now = now_ms()
    record = ScheduleRecord(
        id=new_object_id(),
        partner_id=partner_id,
        game_object_type=fields["gameObjectType"],
        game_object_id=fields["gameObjectId"],
        scheduled_action=fields["scheduledAction"],
        scheduled_date=fields["scheduledDate"],
        status="pending",
        executed_at=None,
        error=None,
        created_at=now,
        updated_at=now,
    )
    repository.insert_schedule(conn, record)
    return record


def get(conn: Connection, *, partner_id: int, schedule_id: str) -> ScheduleRecord:
    """Load one of the partner's transitions, or answer 404."""
    record = repository.get_schedule(conn, partner_id=partner_id, schedule_id=schedule_id)
    if record is None:
        raise ObjectNotFound(schedule_id, "ScheduledGameObject")
    return record


def update(conn: Connection, *, partner_id: int, changes: dict[str, Any]) -> ScheduleRecord:
    """Change the action or the date of a pending transition; a transition always has both, so null (which
    clears an optional field in other updates) is refused for them."""
    for key in ("scheduledAction", "scheduledDate"):
        if key in changes and changes[key] is None:
            raise ValidationFailed(key, "a required field cannot be cleared")
    record = _pending(conn, partner_id=partner_id, schedule_id=changes["id"])
    action, date = changes.get("scheduledAction"), changes.get("scheduledDate")
    updated = replace(
        record,
        scheduled_action=record.scheduled_action if action is None else action,
        scheduled_date=record.scheduled_date if date is None else date,  # (0 is 1970-01-01, a date)
        updated_at=now_ms(),
    )
    repository.update_schedule(conn, updated)
    return updated


def delete(conn: Connection, *, partner_id: int, schedule_id: str) -> dict[str, Any]:
    """Cancel a pending transition (it stays listed with status ``cancelled``)."""
    record = _pending(conn, partner_id=partner_id, schedule_id=schedule_id)
    repository.update_schedule(conn, replace(record, status="cancelled", updated_at=now_ms()))
    return {"id": schedule_id, "deleted": True}


def list_page(conn: Connection, *, partner_id: int, query: ListQuery) -> tuple[int, list[ScheduleRecord]]:
    """One page of the partner's transitions matching the query."""
    return repository.list_schedules(conn, partner_id=partner_id, query=query)


def _pending(conn: Connection, *, partner_id: int, schedule_id: str) -> ScheduleRecord:
    # Locked, so a change cannot race the scheduler running the same transition.
    record = repository.lock_schedule(conn, partner_id=partner_id, schedule_id=schedule_id)
    if record is None:
        raise ObjectNotFound(schedule_id, "ScheduledGameObject")
    if record.status != "pending":
        raise Conflict(f"the transition is already {record.status}", args={"ID": schedule_id})
    return record
