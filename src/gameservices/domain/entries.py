"""What the engine knows of entries: the last seen `duration`, which dynamic caps read when an event lacks it.

The service keeps each entry's last seen duration (see `services/scoring/event.py`, `_entries_seen`); these helpers
read an event the same way, so a batch sees exactly the duration a later batch would load.
"""

from collections.abc import Iterable, Mapping

from gameservices.domain.events import FieldValue, NormalizedEvent

DURATION = "duration"
ENTRY_ID = "entryId"


def entry_key(fields: Mapping[str, FieldValue]) -> str | None:
    """The id the entry of an event is kept under, or None when the event names no entry."""
    value = fields.get(ENTRY_ID)
    return None if value is None else str(value)


def seen_duration(fields: Mapping[str, FieldValue]) -> float | None:
    """The duration an event records for its entry: a plain number (not a boolean), else None."""
    value = fields.get(DURATION)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def entries_lacking_duration(events: Iterable[NormalizedEvent]) -> set[str]:
    """The entries of the events without a duration of their own: those whose kept duration may be needed."""
    return {
        key
        for event in events
        if event.fields.get(DURATION) is None and (key := entry_key(event.fields)) is not None
    }
