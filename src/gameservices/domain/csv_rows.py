"""External events from CSV text (``event/sendExternalEventsFromCSV``): the long and the wide layout.

Long layout: a header naming ``userId``, ``score`` and ``eventType`` (any order, any case), plus context columns
that become event fields (``eventId``, ``eventTime``, ``entryId``, ``categories``, or any name a rule condition
reads); every row is one event. Wide layout: ``UserID`` first, then one column per external rule id; every
non-empty cell is one event ``{userId, score: <cell>, eventType: "external", externalRuleId: <column>}``.

The whole text is read before anything is applied: every bad cell is collected as a `CsvProblem` with its
1-based line, so a caller can refuse the file as a whole and say what to fix.
"""

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from gameservices.domain.events import MAX_EVENT_ID_CHARS, MAX_EVENT_TYPE_CHARS, MAX_USER_ID_CHARS
from gameservices.domain.timefmt import TimeFormatError, parse_time

MAX_ROWS = 1_000_000
MAX_REPORTED_PROBLEMS = 100
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


class TooManyRows(Exception):
    """The file holds more data rows than an import accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file holds more than {limit} rows")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class CsvProblem:
    """Why a cell (or a whole line when `column` is None) cannot be imported."""

    line: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, object]:
        """The API form."""
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class CsvEvents:
    """What a file holds: its events with the line each came from, or the problems that refuse it."""

    layout: Layout | None = None
    rows: int = 0
    events: list[Event] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[CsvProblem] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)

    @property
    def valid(self) -> bool:
        """True when nothing in the file is wrong."""
        return not self.bad_lines

    def refuse(self, line: int, column: str | None, message: str) -> None:
        """Record a problem (only the first ones are kept; every bad line is counted)."""
        self.bad_lines.add(line)
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(CsvProblem(line, column, message))


def decode_csv(data: bytes) -> tuple[str | None, CsvProblem | None]:
    """The text of an upload (UTF-8, with or without a byte order mark), or the line that is not UTF-8."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, CsvProblem(line, None, "the file is not UTF-8 text")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, CsvProblem(line, None, "text may not contain NUL characters")
    return text, None


def read_events(text: str, *, score_action: str, max_rows: int = MAX_ROWS) -> CsvEvents:
    """Read every row of a CSV text into events carrying ``scoreAction``; raise TooManyRows past the limit."""
    result = CsvEvents()
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    line = 1
    header: list[str] | None = None
    read_row: _LongRows | _WideRows | None = None
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not "".join(cells).strip():
                continue
            if header is None:
                header = cells
                read_row = _layout_reader(result, start, [cell.strip() for cell in cells], score_action)
                if read_row is None:
                    return result
                continue
            result.rows += 1
            if result.rows > max_rows:
                raise TooManyRows(max_rows)
            assert read_row is not None
            read_row(start, cells)
    except csv.Error as error:
        result.refuse(line, None, f"the file is not valid CSV: {error}")
    if header is None:
        result.refuse(1, None, "the file is empty: expected a header line")
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
        if len(cells) != self.width and not (
            len(cells) > self.width and not any(cell.strip() for cell in cells[self.width :])
        ):
            self.result.refuse(line, None, f"expected {self.width} cells, found {len(cells)}")
            return None
        return [cell.strip() for cell in cells[: self.width]]

    def user_id(self, line: int, column: str, value: str) -> str | None:
        """A user id cell, or None after recording why it is refused."""
        return _text(self.result, line, column, value, MAX_USER_ID_CHARS, "a user id")

    def score(self, line: int, column: str, value: str) -> int | float | None:
        """A score cell, or None after recording why it is refused."""
        number = _number(value)
        if number is None:
            self.result.refuse(line, column, f"the score must be a number, found {_quote(value)}")
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
                line, column, f"expected an ISO 8601 time or epoch seconds, found {_quote(value)}"
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
    lowered = [name.lower() for name in header]
    for index, name in enumerate(lowered):
        if not name:
            result.refuse(line, None, f"column {index + 1} of the header has no name")
        elif name in lowered[:index]:
            result.refuse(line, header[index], "the header names this column twice")
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


def _quote(value: str) -> str:
    shown = value if len(value) <= 40 else value[:37] + "..."
    return repr(shown)
