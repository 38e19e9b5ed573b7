"""Entries of the event log: their kinds, and the stored form of an `events` entry.

Every change that moves a partner's derived state appends one entry (`storage.event_log`). An `events` entry
holds accepted, normalized analytics events as [eventId, fields] pairs; every other entry is a JSON object
whose fields `projection.apply` reads.
"""

from typing import Any

from gameservices.domain.events import NormalizedEvent
from gameservices.storage.event_log import decode_body, encode_body

EVENTS = "events"
RULE_CHANGE = "rule.change"
GAME_OBJECT_CHANGE = "gameObject.change"
GAME_OBJECT_DELETE = "gameObject.delete"
SCORES_CLEARED = "userScore.clear"
SCORE_SET = "userScore.set"
SCORE_DELETED = "userScore.delete"
PROFILE_CHANGE = "userProfile.change"
VISIBILITY_CHANGE = "visibility.change"
ENTRY_CHANGE = "entry.change"
# A game object recomputed from the log (`*/rebuild`): carries its buckets and standings as recomputed.
GAME_OBJECT_REBUILD = "gameObject.rebuild"
# Periods of recurring leaderboards closed (one or several, closed together): the periods, and their
# leaderboardPeriodEnd events (docs/periods.md).
PERIOD_CLOSE = "leaderboard.periodClose"
# A leaderboard's recurrence changed or went: its per-period boards and closed periods are dropped.
PERIODS_RESET = "leaderboard.periodsReset"


def encode_events(events: list[NormalizedEvent]) -> bytes:
    """The stored form of normalized events: a JSON list of [eventId, fields]."""
    return encode_body([[event.event_id, event.fields] for event in events])


def decode_events(body: bytes) -> list[NormalizedEvent]:
    """The events of an `events` entry, exactly as they were normalized (lists as tuples)."""
    return events_of(decode_body(body))


def events_of(rows: list[list[Any]]) -> list[NormalizedEvent]:
    """Normalized events from their stored [eventId, fields] rows (the rows' dicts are taken over)."""
    decoded: list[NormalizedEvent] = []
    append = decoded.append
    fields: dict[str, Any]  # JSON values; lists become tuples below
    for event_id, fields in rows:
        # In place (the dicts are this call's own): about twice as fast as building new ones.
        for name, value in fields.items():
            if value.__class__ is list:
                fields[name] = tuple(value)
        append(NormalizedEvent(fields, event_id=event_id))
    return decoded
