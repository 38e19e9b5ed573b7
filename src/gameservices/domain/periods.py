"""Recurring leaderboard periods: the calendar of a recurrence and a leaderboard's timeline of periods.

A recurrence puts a boundary at its anchor and every `interval` days, weeks or months after it, as local
wall-clock times in its time zone (DST-correct: a weekly reset at Monday 00:00 in Europe/Berlin stays at local
midnight across the clock changes). Boundary n is the anchor moved by n intervals; a local time that does not
exist (the hour skipped in spring) is read with the offset before the change (02:30 becomes 03:30 summer time),
an ambiguous one (the hour repeated in autumn) as its first occurrence. Monthly boundaries keep the anchor's day,
or the month's last day when it is shorter.

Period n holds [boundary n, boundary n+1); period 0 also holds everything before the anchor. A period closed
early (`leaderboard/closePeriod`) ends at that instant, and the next period (index one more) runs from there to
the boundary the closed one would have ended at: the closed periods, kept as records, shift later indexes.
"""

import calendar
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from gameservices.domain.errors import DomainValidationError

UNITS = ("day", "week", "month")
DEFAULT_GRACE_SECONDS = 60
MAX_GRACE_SECONDS = 7 * 86_400
MAX_INTERVAL = 1_000
ZONE_MESSAGE = "must be an IANA time zone name, e.g. Europe/Berlin"
# Boundaries past the last representable local time (year 9999) are "never".
NEVER_MS = 253_402_300_799_999
_DAY_MS = 86_400_000
_NOMINAL_MS = {"day": _DAY_MS, "week": 7 * _DAY_MS, "month": 2_629_746_000}


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def portable_zone_names() -> frozenset[str]:
    """The time zone names every machine reads alike: the tzdata package's (a system's zone files may add
    `localtime`, the machine's own zone, which machines would read differently)."""
    return frozenset(resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split())


@dataclass(frozen=True, slots=True)
class Recurrence:
    """When a leaderboard's periods reset: every `interval` units from `anchor` (local time in `timezone`)."""

    unit: str
    interval: int
    anchor: datetime  # naive: a local wall-clock time
    timezone: str
    grace_seconds: int = DEFAULT_GRACE_SECONDS

    def boundary(self, n: int) -> int:
        """Epoch milliseconds of boundary n (n ≥ 0; the anchor is boundary 0)."""
        return _boundary(self, n)

    def count(self, at_ms: float) -> int:
        """The calendar period holding `at_ms`: the largest n ≥ 0 whose boundary is at or before it (0 before
        the anchor)."""
        at_ms = min(at_ms, NEVER_MS - 1)
        first = self.boundary(1)
        if at_ms < first:
            return 0
        n = max(1, int((at_ms - self.boundary(0)) // (_NOMINAL_MS[self.unit] * self.interval)))
        while n > 1 and self.boundary(n) > at_ms:
            n -= 1
        while self.boundary(n + 1) <= at_ms:
            n += 1
        return n

    def as_dict(self) -> dict[str, Any]:
        """The API (and stored) form."""
        return {
            "unit": self.unit,
            "interval": self.interval,
            "anchor": self.anchor.isoformat(timespec="seconds"),
            "timezone": self.timezone,
            "graceSeconds": self.grace_seconds,
        }


@lru_cache(maxsize=65_536)
def _boundary(recurrence: Recurrence, n: int) -> int:
    anchor = recurrence.anchor
    try:
        if recurrence.unit == "month":
            months = anchor.month - 1 + n * recurrence.interval
            year, month = anchor.year + months // 12, months % 12 + 1
            day = min(anchor.day, calendar.monthrange(year, month)[1])
            local = anchor.replace(year=year, month=month, day=day)
        else:
            days = n * recurrence.interval * (7 if recurrence.unit == "week" else 1)
            local = anchor + timedelta(days=days)
        instant = local.replace(tzinfo=ZoneInfo(recurrence.timezone))
        return min(NEVER_MS, int(instant.astimezone(UTC).timestamp() * 1000))
    except (OverflowError, ValueError):
        return NEVER_MS


def parse_recurrence(raw: Mapping[str, Any], field: str = "recurrence") -> Recurrence:
    """A recurrence from its API form; DomainValidationError naming the field at fault."""
    unit = raw.get("unit")
    if unit not in UNITS:
        raise DomainValidationError(f"{field}.unit", "must be day, week or month")
    interval = raw.get("interval", 1)
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= MAX_INTERVAL:
        raise DomainValidationError(f"{field}.interval", f"must be a whole number from 1 to {MAX_INTERVAL}")
    timezone = raw.get("timezone")
    if not isinstance(timezone, str) or timezone not in _zone_names():
        raise DomainValidationError(f"{field}.timezone", ZONE_MESSAGE)
    grace = raw.get("graceSeconds", DEFAULT_GRACE_SECONDS)
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= MAX_GRACE_SECONDS:
        raise DomainValidationError(
            f"{field}.graceSeconds", f"must be a whole number of seconds from 0 to {MAX_GRACE_SECONDS}"
        )
    return Recurrence(unit, interval, _parse_anchor(raw.get("anchor"), field), timezone, grace)


def _parse_anchor(value: object, field: str) -> datetime:
    if not isinstance(value, str) or len(value) > 64:
        raise DomainValidationError(f"{field}.anchor", "must be a local ISO 8601 date and time")
    try:
        anchor = datetime.fromisoformat(value)
    except ValueError as error:
        raise DomainValidationError(f"{field}.anchor", "must be a local ISO 8601 date and time") from error
    if anchor.tzinfo is not None:
        raise DomainValidationError(
            f"{field}.anchor", "must be a local time without an offset (the time zone says where)"
        )
    if not 1900 <= anchor.year <= 9000:
        raise DomainValidationError(f"{field}.anchor", "must be between the years 1900 and 9000")
    return anchor.replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class ClosedPeriod:
    """A period that closed: its index, the instants it ran between (ms), and when it closed."""

    index: int
    starts_at: int
    ends_at: int
    closed_at: int


class Timeline:
    """A leaderboard's periods: its recurrence, when the recurrence was set (periods that ended before are
    never closed), and the periods closed so far (consecutive, in index order)."""

    __slots__ = ("_closed", "_hit", "_starts", "recurrence", "since_ms")

    def __init__(self, recurrence: Recurrence, since_ms: int, closed: Sequence[ClosedPeriod] = ()) -> None:
        self.recurrence = recurrence
        self.since_ms = since_ms
        self._closed = tuple(sorted(closed, key=lambda period: period.index))
        self._starts = [period.starts_at for period in self._closed]
        self._hit = (0, -1, 0)  # (start, end, index) of the last open-ended lookup

    @property
    def closed(self) -> tuple[ClosedPeriod, ...]:
        """The closed periods, oldest first."""
        return self._closed

    def with_closed(self, period: ClosedPeriod) -> "Timeline":
        """This timeline once `period` has closed too."""
        return Timeline(self.recurrence, self.since_ms, (*self._closed, period))

    def index_of(self, at_ms: float) -> int:
        """The index of the period holding an instant."""
        start, end, index = self._hit
        if start <= at_ms < end:
            return index
        closed, count = self._closed, self.recurrence.count
        if closed and at_ms >= closed[-1].ends_at:
            last = closed[-1]
            index = last.index + 1 + count(at_ms) - count(last.ends_at)
            start, end = self.bounds(index)
            self._hit = (start, end, index)
            return index
        if closed and at_ms >= closed[0].starts_at:
            return closed[bisect_right(self._starts, at_ms) - 1].index
        return count(at_ms)

    def bounds(self, index: int) -> tuple[int, int]:
        """When a period starts and ends (ms); period 0 shows the anchor as its start."""
        closed, boundary = self._closed, self.recurrence.boundary
        if not closed or index < closed[0].index:
            return boundary(index), boundary(index + 1)
        if index <= closed[-1].index:
            period = closed[index - closed[0].index]
            return period.starts_at, period.ends_at
        last = closed[-1]
        base = self.recurrence.count(last.ends_at)
        later = index - last.index - 1
        start = last.ends_at if later == 0 else boundary(base + later)
        return start, boundary(base + later + 1)

    def first_closable(self) -> int:
        """The first period that closes: the one holding the moment the recurrence was set."""
        return self.index_of(self.since_ms)

    def next_to_close(self) -> int:
        """The oldest period not closed yet that will close."""
        return self._closed[-1].index + 1 if self._closed else self.first_closable()

    def is_closed(self, index: int) -> bool:
        """Whether a period has closed."""
        closed = self._closed
        return bool(closed) and closed[0].index <= index <= closed[-1].index

    def assign(self, at_ms: float) -> int:
        """The period an event at this instant counts in: its own while it is not closed, else the oldest
        open one."""
        index = self.index_of(at_ms)
        if self.is_closed(index):
            return self._closed[-1].index + 1
        return index


def board_key(game_object_id: str, index: int) -> str:
    """The key of one period's board beside the all-time board (keyed by the game object's id)."""
    return f"{game_object_id}#{index}"


def split_board_key(key: str) -> tuple[str, int | None]:
    """The game object id and period index of a board key (None: the all-time board)."""
    object_id, sep, index = key.partition("#")
    return object_id, int(index) if sep else None


# Where a game object keeps its recurrence in its fields, and (server-owned, never shown) when it was set.
RECURRENCE_FIELD = "recurrence"
SINCE_FIELD = "_periodsSince"


def timeline_of(
    fields: Mapping[str, Any], created_at: int, closed: Sequence[ClosedPeriod] = ()
) -> Timeline | None:
    """The timeline of a game object from its stored fields (None without a recurrence)."""
    raw = fields.get(RECURRENCE_FIELD)
    if not isinstance(raw, Mapping):
        return None
    since = fields.get(SINCE_FIELD)
    since_ms = max(created_at, since if isinstance(since, int) else created_at)
    return Timeline(parse_recurrence(raw), since_ms, closed)


def event_ms(event_time: float) -> float:
    """An event time (epoch seconds) as the millisecond the periods compare it with (no float error turns an
    event at a boundary into one a hair before it)."""
    return float(int(event_time * 1000 + 0.0005))
