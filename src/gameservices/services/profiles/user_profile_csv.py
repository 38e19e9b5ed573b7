"""User profiles from a CSV file (``userProfile/importFromCSV`` and ``gameservices user-profile import``): the
whole file is validated, then each row is upserted and its ``userProfile`` event sent through the rules
engine as `user_profile.upsert` does, all in one transaction, so a file is applied completely or not at all.

The machinery is the event import's (`csv_import`): the same decoding, problems, refusal and chunked sending.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from gameservices.domain.csv_profiles import MAX_PROFILE_ROWS, Profile, read_profiles
from gameservices.domain.csv_table import CsvProblem, TooManyRows
from gameservices.errors import ValidationFailed
from gameservices.projection.state import PartnerState
from gameservices.services.profiles import user_profile
from gameservices.services.scoring import visibility
from gameservices.services.scoring.csv_import import (
    CHUNK_EVENTS,
    EventChunk,
    InvalidCsv,
    decoded,
    send_chunks,
    too_many_rows,
)
from gameservices.storage.database import Connection
from gameservices.storage.user_profiles import ProfileRecord


@dataclass(frozen=True)
class ProfileImport:
    """A validated file: its data rows as profile fields, with the line each came from."""

    rows: int
    profiles: list[Profile]
    lines: list[int]

    def summary(self) -> dict[str, int]:
        """The API answer: how many rows were read (and, unless a dry run, applied)."""
        return {"rows": self.rows}


def read(data: bytes, *, max_rows: int = MAX_PROFILE_ROWS) -> ProfileImport:
    """Validate a whole upload; raise InvalidCsv listing its bad cells, PayloadTooLarge past ``max_rows``."""
    text = decoded(data)
    try:
        parsed = read_profiles(text, max_rows=max_rows)
    except TooManyRows as error:
        raise too_many_rows(error) from error
    if not parsed.valid:
        raise InvalidCsv(parsed.problems, len(parsed.bad_lines))
    return ProfileImport(parsed.rows, parsed.profiles, parsed.lines)


def apply(
    conn: Connection,
    *,
    state: PartnerState,
    partner_id: int,
    upload: ProfileImport,
    received_at: float,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Upsert a validated file's profiles in the caller's transaction, each followed by its ``userProfile``
    event; raise InvalidCsv when a row cannot be stored or a rule refuses its event (the caller's transaction
    then rolls back, so nothing is applied).

    The caller holds the partner's writer turn around the transaction.
    """
    unstored: list[CsvProblem] = []
    latest: dict[str, ProfileRecord] = {}

    def finish(target: PartnerState) -> None:
        if not unstored:
            visibility.refresh_users(
                conn, state=target, partner_id=partner_id, user_ids=latest, profiles=latest
            )

    refused = send_chunks(
        conn,
        state=state,
        partner_id=partner_id,
        chunks=_stored_chunks(conn, partner_id, upload, latest, unstored),
        several=len(upload.profiles) > CHUNK_EVENTS,
        received_at=received_at,
        on_progress=on_progress,
        finish=finish,
    ).refused
    if unstored or refused:
        raise InvalidCsv.of(unstored + refused)
    return upload.summary()


def _stored_chunks(
    conn: Connection,
    partner_id: int,
    upload: ProfileImport,
    latest: dict[str, ProfileRecord],
    unstored: list[CsvProblem],
) -> Iterator[EventChunk]:
    """Store the profiles a chunk at a time, each chunk's ``userProfile`` events following it (each user's
    stored profile goes to ``latest``, the rows that cannot be stored to ``unstored``)."""
    for start in range(0, len(upload.profiles), CHUNK_EVENTS):
        rows = upload.profiles[start : start + CHUNK_EVENTS]
        stored = user_profile.store_rows(conn, partner_id=partner_id, rows=rows)
        events, lines = [], []
        for outcome, line in zip(stored, upload.lines[start : start + CHUNK_EVENTS], strict=True):
            if isinstance(outcome, ValidationFailed):
                unstored.append(CsvProblem(line, None, outcome.message))
            else:
                latest[outcome.user_id] = outcome
                events.append(user_profile.profile_event(outcome))
                lines.append(line)
        yield events, lines
