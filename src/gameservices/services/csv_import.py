"""External events from a CSV file (``event/sendExternalEventsFromCSV`` and ``gameservices import-events``):
the whole file is validated, then its events are applied through ``event.send`` in one transaction, so a
file is applied completely or not at all. A rule that cannot use a row's event skips it alone (as in
``event/send``): the file still applies, and the answer lists the first such skips by line."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
from gameservices.services import event as event_service
from gameservices.services.live import PartnerState
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
    text, problem = decode_csv(data)
    if text is None:
        assert problem is not None
        raise InvalidCsv([problem], 1)
    try:
        parsed: CsvEvents = read_events(text, score_action=action, max_rows=max_rows)
    except TooManyRows as error:
        raise PayloadTooLarge(
            f"The CSV file holds more than {error.limit} rows", args={"LIMIT": error.limit}
        ) from error
    if not parsed.valid:
        raise InvalidCsv(parsed.problems, len(parsed.bad_lines))
    return CsvImport(parsed.rows, parsed.events, parsed.lines)


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
    several = len(upload.events) > CHUNK_EVENTS
    # Readers share the live state and may reload it from the committed data at any moment, so a file of
    # several chunks works on a private state (loaded once, then carried from chunk to chunk); the live one
    # reloads once the transaction has committed.
    target = PartnerState() if several else state
    target.private = several
    problems: list[CsvProblem] = []
    bad_lines: set[int] = set()
    skipped: list[dict[str, Any]] = []
    for start in range(0, len(upload.events), CHUNK_EVENTS):
        chunk = upload.events[start : start + CHUNK_EVENTS]
        result = event_service.send(
            conn, state=target, partner_id=partner_id, raw_events=chunk, received_at=received_at
        )
        for refusal in result.rejected:
            line = upload.lines[start + int(refusal["index"])]
            bad_lines.add(line)
            problems.append(CsvProblem(line, None, str(refusal["message"])))
        for skip in result.skipped[: event_service.MAX_REPORTED_SKIPS - len(skipped)]:
            line = upload.lines[start + int(skip["index"])]
            skipped.append({"line": line, "ruleId": skip["ruleId"], "message": skip["message"]})
        if on_progress is not None:
            on_progress(len(chunk))
    if bad_lines:
        raise InvalidCsv(problems[:MAX_REPORTED_PROBLEMS], len(bad_lines))
    if several:
        after_commit(conn, lambda: _mark_stale(state))
    return {**upload.summary(), "skipped": skipped}


def _mark_stale(state: PartnerState) -> None:
    # No version is -1: the next request reloads the partner.
    with state.read_lock:
        state.state_version = -1
