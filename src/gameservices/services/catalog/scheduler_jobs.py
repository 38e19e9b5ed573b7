"""The scheduler's job for the ``scheduledGameObject`` controller: running due transitions of game objects."""

from dataclasses import replace

from gameservices.errors import ValidationFailed
from gameservices.services.catalog import game_objects
from gameservices.services.catalog.badge import BADGE
from gameservices.services.catalog.certificate import CERTIFICATE
from gameservices.services.catalog.game_objects import GameObjectKind
from gameservices.services.catalog.lead_scoring import LEAD_SCORING
from gameservices.services.catalog.leaderboard import LEADERBOARD
from gameservices.storage import partners as partner_repository
from gameservices.storage import schedules as repository
from gameservices.storage.database import Connection
from gameservices.storage.schedules import ScheduleRecord

_KINDS: dict[str, GameObjectKind] = {
    kind.object_type: kind for kind in (LEADERBOARD, BADGE, CERTIFICATE, LEAD_SCORING)
}
_STATUS_AFTER = {"enable": "enabled", "disable": "disabled"}


def due(conn: Connection, *, now: int, limit: int) -> list[ScheduleRecord]:
    """The pending transitions whose time has come, earliest first (not yet claimed)."""
    return repository.due_schedules(conn, now=now, limit=limit)


def execute(conn: Connection, *, schedule: ScheduleRecord, now: int) -> ScheduleRecord | None:
    """Claim a due transition and change its game object's status as ``<type>/update`` would.

    Returns the transition marked ``done``, or None when it is not this transaction's to run: already run or
    cancelled, moved to a later date, claimed by another process, or behind an earlier pending transition of
    the same game object. Raises the game object's errors (``fail`` records them in a new transaction)."""
    record = _claim(conn, schedule=schedule, now=now)
    if record is None or repository.has_earlier_pending(conn, record):
        return None
    kind = _KINDS.get(record.game_object_type)
    if kind is None:
        raise ValidationFailed("gameObjectType", f"unknown game object type {record.game_object_type!r}")
    status = _STATUS_AFTER.get(record.scheduled_action)
    if status is None:
        raise ValidationFailed("scheduledAction", f"unknown action {record.scheduled_action!r}")
    # The shared update bumps the partner's rules version, so every process's engine sees the new status at
    # its next request.
    game_objects.update(
        conn,
        partner_id=record.partner_id,
        kind=kind,
        changes={"id": record.game_object_id, "status": status},
    )
    done = replace(record, status="done", executed_at=now, error=None, updated_at=now)
    repository.update_schedule(conn, done)
    return done


def fail(conn: Connection, *, schedule: ScheduleRecord, now: int, reason: str) -> ScheduleRecord | None:
    """Mark a due transition ``failed`` with the reason; None when it is no longer this transaction's to mark."""
    record = _claim(conn, schedule=schedule, now=now)
    if record is None:
        return None
    failed = replace(record, status="failed", executed_at=now, error=reason, updated_at=now)
    repository.update_schedule(conn, failed)
    return failed


def _claim(conn: Connection, *, schedule: ScheduleRecord, now: int) -> ScheduleRecord | None:
    # The partner's writers take turns on its row (event ingestion does too): once it is ours, every transition
    # of the partner committed before is visible, and the version bump below cannot interleave. It is taken before
    # the schedule row, as `scheduledGameObject/update` and `delete` take them (in the other order, the two would
    # wait for each other on PostgreSQL).
    partner_repository.lock_versions(conn, schedule.partner_id)
    return repository.claim_schedule(conn, partner_id=schedule.partner_id, schedule_id=schedule.id, now=now)
