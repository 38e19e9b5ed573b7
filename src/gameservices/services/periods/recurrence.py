"""Recurring leaderboard periods on the leaderboard itself: checking its recurrence, scheduling its period ends
as it is created, changed or deleted, and the period fields of its answers (docs/periods.md)."""

from typing import Any

from gameservices.domain.errors import DomainValidationError
from gameservices.domain.periods import (
    NEVER_MS,
    RECURRENCE_FIELD,
    SINCE_FIELD,
    ZONE_MESSAGE,
    Timeline,
    board_key,
    parse_recurrence,
    portable_zone_names,
    split_board_key,
    timeline_of,
)
from gameservices.domain.timefmt import format_ms, now_ms
from gameservices.errors import ValidationFailed
from gameservices.projection.entries import PERIODS_RESET
from gameservices.storage import event_log
from gameservices.storage import game_objects as object_repository
from gameservices.storage import periods as period_repository
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord


def check(conn: Connection, partner_id: int, object_id: str | None, fields: dict[str, Any]) -> None:
    """Check a leaderboard's recurrence (merged fields) and store it in its normal form; a new or changed
    calendar starts the periods afresh from now (`SINCE_FIELD`)."""
    raw = fields.get(RECURRENCE_FIELD)
    if raw is None:
        fields.pop(SINCE_FIELD, None)
        return
    try:
        recurrence = parse_recurrence(raw)
    except DomainValidationError as error:
        raise ValidationFailed(error.field, error.message) from error
    if recurrence.timezone not in portable_zone_names():  # (stored ones load as they are)
        raise ValidationFailed(f"{RECURRENCE_FIELD}.timezone", ZONE_MESSAGE)
    anchor = recurrence.boundary(0)
    start, end = fields.get("startDate"), fields.get("endDate")
    if (isinstance(start, int) and anchor < start) or (isinstance(end, int) and anchor > end):
        raise ValidationFailed(
            f"{RECURRENCE_FIELD}.anchor", "must lie within the leaderboard's startDate and endDate"
        )
    fields[RECURRENCE_FIELD] = recurrence.as_dict()
    if object_id is None:
        fields.pop(SINCE_FIELD, None)  # the periods start with the leaderboard
        return
    before = object_repository.get_game_object(conn, partner_id=partner_id, object_id=object_id)
    if before is None or _calendar(before.data) != _calendar(fields):
        fields[SINCE_FIELD] = now_ms()


def after_write(conn: Connection, before: GameObjectRecord | None, after: GameObjectRecord | None) -> None:
    """Keep a leaderboard's period ends in step with its recurrence: a new calendar (or none, or a deleted
    leaderboard) drops its periods and their scores; a new calendar schedules its first period end."""
    record = after if after is not None else before
    assert record is not None
    partner_id, object_id = record.partner_id, record.id
    old = calendar_key(before)
    new = calendar_key(after)
    if old is not None and old != new:
        period_repository.forget_periods(conn, partner_id, object_id)
        if after is not None:  # a deleted leaderboard's log entry drops its periods already
            event_log.record(conn, partner_id, PERIODS_RESET, {"gameObjectId": object_id}, state=True)
    if after is None or new is None:
        return
    if old != new:
        timeline = timeline_of(after.data, after.created_at)
        assert timeline is not None
        schedule(conn, after, timeline, timeline.first_closable())
        return
    # The same calendar: the grace may have changed, and a later end date may give periods to close again.
    closes = period_repository.closed_periods(conn, partner_id, object_id).get(object_id, ())
    timeline = timeline_of(after.data, after.created_at, closes)
    assert timeline is not None
    period_repository.set_grace(conn, partner_id, object_id, timeline.recurrence.grace_seconds * 1000)
    end_date = after.data.get("endDate")
    if isinstance(
        end_date, int
    ):  # an end date moved earlier: no period starting after it closes (none is written)
        period_repository.forget_ends_starting_after(conn, partner_id, object_id, end_date)
    schedule(conn, after, timeline, timeline.next_to_close())


def schedule(conn: Connection, record: GameObjectRecord, timeline: Timeline, index: int) -> None:
    """Record the end of period `index` as due to close (none past the leaderboard's end date)."""
    start, end = timeline.bounds(index)
    end_date = record.data.get("endDate")
    if end >= NEVER_MS or (isinstance(end_date, int) and start > end_date):
        return
    due = end + timeline.recurrence.grace_seconds * 1000
    period_repository.schedule_close(conn, record.partner_id, record.id, index, (start, end), due)


def period_fields(conn: Connection, record: GameObjectRecord) -> dict[str, Any]:
    """`currentPeriod`, `nextResetAt` and `prevResetAt` of a recurring leaderboard (nothing for others)."""
    timeline = stored_timeline(conn, record)
    if timeline is None:
        return {}
    index = timeline.index_of(now_ms())
    start, end = timeline.bounds(index)
    return {
        "currentPeriod": {"index": index, "startsAt": format_ms(start), "endsAt": format_ms(end)},
        "nextResetAt": format_ms(end),
        "prevResetAt": format_ms(start),
    }


def stored_timeline(conn: Connection, record: GameObjectRecord) -> Timeline | None:
    """The periods of a recurring leaderboard as the tables hold them (None for any other game object)."""
    if not isinstance(record.data.get(RECURRENCE_FIELD), dict):
        return None
    closes = period_repository.closed_periods(conn, record.partner_id, record.id).get(record.id, ())
    return timeline_of(record.data, record.created_at, closes)


def _calendar(fields: dict[str, Any]) -> tuple[Any, ...] | None:
    raw = fields.get(RECURRENCE_FIELD)
    if not isinstance(raw, dict):
        return None
    return tuple(raw.get(name) for name in ("unit", "interval", "anchor", "timezone"))


def calendar_key(record: GameObjectRecord | None) -> tuple[Any, ...] | None:
    """What a leaderboard's periods depend on: its calendar and when it was set (None: no periods); the periods
    start afresh whenever it changes."""
    if record is None:
        return None
    calendar = _calendar(record.data)
    return None if calendar is None else (*calendar, record.data.get(SINCE_FIELD))


# A `period` of userScore/list|get and report/generate: "current" (the default), "previous", "all" or an index.
Period = str | int | None


def board_of(timeline: Timeline | None, game_object_id: str, period: Period, now: int) -> tuple[str, bool]:
    """The board a `period` names, and whether that answer stays the same as time passes (an index or "all"
    does; "current" and "previous" of a recurring leaderboard move at each reset). A game object without a
    recurrence has one period, all-time: "current", "all" and 0 name it, anything else is refused."""
    if period == "all":
        return game_object_id, True
    if timeline is None:
        if period in (None, "current", 0):
            return game_object_id, True
        raise ValidationFailed("period", "the game object has no recurrence: its only period is current (0)")
    if isinstance(period, int):
        return board_key(game_object_id, period), True
    index = timeline.index_of(now) - (1 if period == "previous" else 0)
    return board_key(game_object_id, index), False  # before period 0: an empty board


def index_of(conn: Connection, record: GameObjectRecord, period: Period) -> int | None:
    """The index of the period a `period` names on a game object, refused as `board_of` refuses (None: the
    all-time totals, which absent names here)."""
    if period is None:
        return None
    key, _ = board_of(stored_timeline(conn, record), record.id, period, now_ms())
    return split_board_key(key)[1]
