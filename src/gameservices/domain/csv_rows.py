"""External events from CSV text (``event/sendExternalEventsFromCSV``): the long and the wide layout.

Long layout: a header naming ``userId``, ``score`` and ``eventType`` (any order, any case), plus context columns
that become event fields (``eventId``, ``eventTime``, ``entryId``, ``categories``, or any name a rule condition
reads); every row is one event. Wide layout: ``UserID`` first, then one column per external rule id; every
non-empty cell is one event ``{userId, score: <cell>, eventType: "external", externalRuleId: <column>}``.

The whole text is read before anything is applied: every bad cell is collected as a `CsvProblem` with its
1-based line, so a caller can refuse the file as a whole and say what to fix.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from gameservices.domain.csv_table import (
    MAX_REPORTED_PROBLEMS,
    MAX_ROWS,
    CsvProblem,
    CsvResult,
    TooManyRows,
    check_header,
    decode_csv,
    quote,
    read_rows,
    row_cells,
)
from gameservices.domain.events import MAX_EVENT_ID_CHARS, MAX_EVENT_TYPE_CHARS, MAX_USER_ID_CHARS
from gameservices.domain.timefmt import TimeFormatError, parse_time

# Shared with the other CSV imports (gameservices.domain.csv_table), named here for the callers of this one.
__all__ = [
    "MAX_REPORTED_PROBLEMS",
    "MAX_ROWS",
    "CsvEvents",
    "CsvProblem",
    "Layout",
    "TooManyRows",
    "decode_csv",
    "read_events",
]
WIDE_EVENT_TYPE = "external"
USER_COLUMNS = frozenset({"userid", "kuserid"})
USER_FIELDS = frozenset({"userId", "kuserId"})
_NUMBER_START = frozenset("0123456789+-.")
# Event fields a header may spell in any case; other context headers are kept as written, because rule
# conditions name facts exactly.
KNOWN_FIELDS = {
    name.lower(): name
    for name in [
        "userId",
        "kuserId",
        "score",
        "eventType",
        "eventId",
        "eventTime",
        "entryId",
        "entryName",
        "categories",
        "virtualEventId",
        "playTime",
        "pollId",
        "commentId",
        "like",
        "externalRuleId",
        "duration",
        "playbackType",
    ]
}

Event = dict[str, str | int | float]


class Layout(StrEnum):
    """How a file lays out its events."""

    LONG = "long"
    WIDE = "wide"


@dataclass
class CsvEvents(CsvResult):
    """What a file holds: its events with the line each came from, or the problems that refuse it."""

    layout: Layout | None = None
    events: list[Event] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def read_events(text: str, *, score_action: str, max_rows: int = MAX_ROWS) -> CsvEvents:
    """Read every row of a CSV text into events carrying ``scoreAction``; raise TooManyRows past the limit."""
    result = CsvEvents()

    def read_header(line: int, header: list[str]) -> "_LongRows | _WideRows | None":
        return _layout_reader(result, line, header, score_action)

    read_rows(text, result, read_header, max_rows=max_rows)
    return result


class _RowReader:
    """Turns the rows under one header into events, recording problems in the result."""

    def __init__(self, result: CsvEvents, header: list[str], score_action: str) -> None:
        self.result = result
        self.header = header
        self.width = len(header)
        self.score_action = score_action

    def cells_of(self, line: int, cells: list[str]) -> list[str] | None:
        """The row's trimmed cells when it has one per column (trailing empty cells are forgiven)."""
        return row_cells(self.result, line, cells, self.width)

    def user_id(self, line: int, column: str, value: str) -> str | None:
        """A user id cell, or None after recording why it is refused."""
        return _text(self.result, line, column, value, MAX_USER_ID_CHARS, "a user id")

    def score(self, line: int, column: str, value: str) -> int | float | None:
        """A score cell, or None after recording why it is refused."""
        number = _number(value)
        if number is None:
            self.result.refuse(line, column, f"the score must be a number, found {quote(value)}")
            return None
        return int(number) if number.is_integer() and abs(number) < 2**53 else number

    def add(self, line: int, event: Event) -> None:
        """Keep a valid event with its line."""
        event["scoreAction"] = self.score_action
        self.result.events.append(event)
        self.result.lines.append(line)


class _LongRows(_RowReader):
    """``userId,score,eventType[,context...]``: one event per row."""

    def __init__(self, result: CsvEvents, header: list[str], score_action: str) -> None:
        super().__init__(result, header, score_action)
        checks: dict[str, Callable[[int, str, str], str | int | float | None]] = {
            "userId": self.user_id,
            "kuserId": self.user_id,
            "score": self.score,
            "eventType": self.event_type,
            "eventId": self.event_id,
            "eventTime": self.event_time,
        }
        fields = [KNOWN_FIELDS.get(name.lower(), name) for name in header]
        # (event field, header as written, check or None for a context value kept as text)
        self.columns = [
            ("userId" if name in USER_FIELDS else name, column, checks.get(name))
            for name, column in zip(fields, header, strict=True)
        ]

    def __call__(self, line: int, raw: list[str]) -> None:
        cells = self.cells_of(line, raw)
        if cells is None:
            return
        event: Event = {}
        for (name, column, check), value in zip(self.columns, cells, strict=True):
            if check is None:
                if value:
                    event[name] = value
                continue
            checked = check(line, column, value)
            # None: refused (and recorded), or an empty optional cell that the event simply lacks.
            if checked is not None:
                event[name] = checked
        if line not in self.result.bad_lines:
            self.add(line, event)

    def event_type(self, line: int, column: str, value: str) -> str | None:
        """The required event type."""
        return _text(self.result, line, column, value, MAX_EVENT_TYPE_CHARS, "an event type")

    def event_id(self, line: int, column: str, value: str) -> str | None:
        """An optional event id (the idempotency key)."""
        return _text(self.result, line, column, value, MAX_EVENT_ID_CHARS, "an event id") if value else None

    def event_time(self, line: int, column: str, value: str) -> float | None:
        """An optional event time as epoch seconds; a time without an offset is read as UTC."""
        if not value:
            return None
        try:
            return parse_time(value) / 1000
        except TimeFormatError:
            self.result.refuse(
                line, column, f"expected an ISO 8601 time or epoch seconds, found {quote(value)}"
            )
            return None


class _WideRows(_RowReader):
    """``UserID,<externalRuleId>...``: one event per non-empty score cell."""

    def __call__(self, line: int, raw: list[str]) -> None:
        cells = self.cells_of(line, raw)
        if cells is None:
            return
        user_id = self.user_id(line, self.header[0], cells[0])
        scored: list[tuple[str, int | float]] = []
        for column, value in zip(self.header[1:], cells[1:], strict=True):
            if value:
                number = self.score(line, column, value)
                if number is not None:
                    scored.append((column, number))
        if user_id is None or line in self.result.bad_lines:
            return
        for column, number in scored:
            self.add(
                line,
                {"userId": user_id, "score": number, "eventType": WIDE_EVENT_TYPE, "externalRuleId": column},
            )


def _layout_reader(
    result: CsvEvents, line: int, header: list[str], score_action: str
) -> _LongRows | _WideRows | None:
    """The reader for the rows under this header, or None after recording why the header is refused."""
    lowered = check_header(result, line, header)
    if "score" in lowered or "eventtype" in lowered:
        result.layout = Layout.LONG
        missing = [name for name in ("score", "eventType") if name.lower() not in lowered]
        if not USER_COLUMNS & set(lowered):
            missing.insert(0, "userId")
        for name in missing:
            result.refuse(line, name, f"the long layout needs a {name} column")
        if "userid" in lowered and "kuserid" in lowered:
            result.refuse(line, "kuserId", "name the user in one column: userId or kuserId")
    elif lowered and lowered[0] in USER_COLUMNS and len(header) > 1:
        result.layout = Layout.WIDE
    else:
        result.refuse(
            line,
            None,
            "the header must name userId, score and eventType (long layout) "
            "or UserID followed by external rule ids (wide layout)",
        )
    if not result.valid:
        return None
    if result.layout is Layout.LONG:
        return _LongRows(result, header, score_action)
    return _WideRows(result, header, score_action)


def _text(result: CsvEvents, line: int, column: str, value: str, limit: int, what: str) -> str | None:
    if not value:
        result.refuse(line, column, f"{what} is required")
        return None
    if len(value) > limit:
        result.refuse(line, column, f"{what} has at most {limit} characters")
        return None
    return value


def _number(text: str) -> float | None:
    """A finite number written in decimal (the engine's parse_number, with a fast path for CSV cells)."""
    if not text or text[0] not in _NUMBER_START or "_" in text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
