"""External events from a CSV file (``event/sendExternalEventsFromCSV`` and ``gameservices import-events``):
the whole file is validated, then its events are applied through ``event.send`` in one transaction, so a
file is applied completely or not at all. A rule that cannot use a row's event skips it alone (as in
``event/send``): the file still applies, and the answer lists the first such skips by line.

The pieces every CSV import shares live here too: `decoded` and `too_many_rows` for reading an upload,
`InvalidCsv` for refusing it, and `send_chunks` for feeding its events to the rules engine.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from gameservices.domain.csv_rows import (
    MAX_REPORTED_PROBLEMS,
    MAX_ROWS,
    CsvEvents,
    CsvProblem,
    TooManyRows,
    decode_csv,
    read_events,
)
from gameservices.errors import InvalidEnumValue, MissingParameter, PayloadTooLarge, ValidationFailed
from gameservices.projection.state import PartnerState
from gameservices.services.scoring import event as event_service
from gameservices.storage.database import Connection, after_commit

SCORE_ACTIONS = ("delta", "upsert")
CHUNK_EVENTS = event_service.MAX_EVENTS_PER_CALL


class InvalidCsv(ValidationFailed):
    """A file with bad rows: nothing of it is applied; ``problems`` lists the first ones."""

    def __init__(self, problems: list[CsvProblem], bad_lines: int) -> None:
        lines = "1 line" if bad_lines == 1 else f"{bad_lines} lines"
        super().__init__(
            "csvFile", f"{lines} of the CSV file cannot be imported; nothing was applied", code="INVALID_CSV"
        )
        self.problems = problems
        self.arguments["INVALID_LINES"] = bad_lines

    @classmethod
    def of(cls, problems: list[CsvProblem]) -> "InvalidCsv":
        """The error for these problems (in line order, the first ones listed, every bad line counted)."""
        ordered = sorted(problems, key=lambda problem: problem.line)
        return cls(ordered[:MAX_REPORTED_PROBLEMS], len({problem.line for problem in problems}))

    def problem_list(self) -> list[dict[str, object]]:
        """The API form of the problems (line, column, message)."""
        return [problem.as_dict() for problem in self.problems]


@dataclass(frozen=True)
class CsvImport:
    """A validated file: its data rows and the events they make."""

    rows: int
    events: list[dict[str, Any]]
    lines: list[int]

    def summary(self) -> dict[str, int]:
        """The API answer: how many rows were read and how many events they made."""
        return {"rows": self.rows, "events": len(self.events)}


def read(data: bytes, *, score_action: str | None, max_rows: int = MAX_ROWS) -> CsvImport:
    """Validate a whole upload; raise InvalidCsv listing its bad cells, PayloadTooLarge past ``max_rows``."""
    action = check_score_action(score_action)
    text = decoded(data)
    try:
        parsed: CsvEvents = read_events(text, score_action=action, max_rows=max_rows)
    except TooManyRows as error:
        raise too_many_rows(error) from error
    if not parsed.valid:
        raise InvalidCsv(parsed.problems, len(parsed.bad_lines))
    return CsvImport(parsed.rows, parsed.events, parsed.lines)


def decoded(data: bytes) -> str:
    """The text of an upload (UTF-8, with or without a byte order mark); InvalidCsv when it is not text."""
    text, problem = decode_csv(data)
    if text is None:
        assert problem is not None
        raise InvalidCsv([problem], 1)
    return text


def too_many_rows(error: TooManyRows) -> PayloadTooLarge:
    """The 413 of a file with more data rows than its import accepts."""
    return PayloadTooLarge(f"The CSV file holds more than {error.limit} rows", args={"LIMIT": error.limit})


def check_score_action(value: str | None) -> str:
    """``delta`` (add to the score) or ``upsert`` (replace the user's contribution from the rule)."""
    if value is None:
        raise MissingParameter("eventAction")
    if value not in SCORE_ACTIONS:
        raise InvalidEnumValue("eventAction", value, list(SCORE_ACTIONS))
    return value


def apply(
    conn: Connection,
    *,
    state: PartnerState,
    partner_id: int,
    upload: CsvImport,
    received_at: float,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Apply a validated file's events in the caller's transaction; raise InvalidCsv when an event is
    refused (the caller's transaction then rolls back, so nothing is applied). The answer is the summary and
    ``skipped``: the first rules that could not use a row's event (line, ruleId, message).

    The caller holds the partner's writer turn around the transaction.
    """
    chunks = (
        (upload.events[start : start + CHUNK_EVENTS], upload.lines[start : start + CHUNK_EVENTS])
        for start in range(0, len(upload.events), CHUNK_EVENTS)
    )
    sent = send_chunks(
        conn,
        state=state,
        partner_id=partner_id,
        chunks=chunks,
        several=len(upload.events) > CHUNK_EVENTS,
        received_at=received_at,
        on_progress=on_progress,
    )
    if sent.refused:
        raise InvalidCsv.of(sent.refused)
    return {**upload.summary(), "skipped": sent.skipped}


class ChunksSent(NamedTuple):
    """The lines whose events a rule refused, and the first skips (line, ruleId, message)."""

    refused: list[CsvProblem]
    skipped: list[dict[str, Any]]


# Events (at most CHUNK_EVENTS) and the file line each came from.
EventChunk = tuple[Sequence[dict[str, Any]], Sequence[int]]


def send_chunks(
    conn: Connection,
    *,
    state: PartnerState,
    partner_id: int,
    chunks: Iterable[EventChunk],
    several: bool,
    received_at: float,
    on_progress: Callable[[int], None] | None = None,
    finish: Callable[[PartnerState], None] | None = None,
) -> ChunksSent:
    """Send a file's events through the rules engine a chunk at a time, in the caller's transaction; the lines
    whose events were refused (the caller then refuses the file, and its transaction rolls back) and the first
    skips.

    ``several``: more than one chunk comes. Readers share the live state and may reload it from the committed
    data at any moment, so several chunks work on a private state (loaded once, then carried from chunk to
    chunk); the live one reloads once the transaction has committed. ``on_progress`` hears each chunk's size;
    ``finish`` then works on the state the events went to (unless a rule refused one). The caller holds the
    partner's writer turn around the transaction.
    """
    target = state
    if several:
        target = PartnerState()
        target.make_private()
    refused: list[CsvProblem] = []
    skipped: list[dict[str, Any]] = []
    for events, lines in chunks:
        if events:
            result = event_service.send(
                conn, state=target, partner_id=partner_id, raw_events=events, received_at=received_at
            )
            for refusal in result.rejected:
                refused.append(CsvProblem(lines[int(refusal["index"])], None, str(refusal["message"])))
            for skip in result.skipped[: event_service.MAX_REPORTED_SKIPS - len(skipped)]:
                line = lines[int(skip["index"])]
                skipped.append({"line": line, "ruleId": skip["ruleId"], "message": skip["message"]})
        if on_progress is not None:
            on_progress(len(events))
    if finish is not None and not refused:
        finish(target)
    if several:
        after_commit(conn, state.mark_stale)
    return ChunksSent(refused, skipped)
