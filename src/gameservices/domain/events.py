"""Validation and normalisation of incoming events.

An event is a flat JSON object. `eventType` and a user (`userId` or `kuserId`, one identity) are required;
`eventId`, `eventTime` (ISO 8601 with offset, or epoch seconds; default: the receipt time) and `categories`
(list or comma string) are optional; any other field is kept if it is a scalar or a list of scalars. A text
`entryId`, `virtualEventId`, `sessionId` and each category are kept trimmed, as every such id (an empty `entryId`
or category is refused); a control character inside one of them refuses the event, as it would a beacon. Text
that no database stores (a NUL character, a lone surrogate), in a name or a value, refuses the event.
"""

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import NamedTuple

from gameservices.domain.errors import MISSING_MANDATORY_PARAMETER, VALIDATION_ERROR, EventRejected
from gameservices.domain.ids import NO_CONTROL_CHARACTERS, has_control_characters
from gameservices.domain.text import has_unstorable, readable, unstorable_reason
from gameservices.domain.values import MAX_SCORE, Scalar, id_string, parse_number, split_items

FieldValue = Scalar | tuple[Scalar, ...] | None
MAX_EVENT_TYPE_CHARS = 128
MAX_USER_ID_CHARS = 256
MAX_EVENT_ID_CHARS = 256
MAX_ENTRY_ID_CHARS = 256
# Year 10000 starts here; later times cannot be written in ISO 8601.
MAX_EPOCH_SECONDS = 253_402_300_800.0


class NormalizedEvent:
    """A valid event: its key facts as attributes, every field (for conditions) in `fields`.

    `fields` holds `eventType`, both `userId` and `kuserId` (the same user), `eventTime` as epoch seconds,
    `categories` as a tuple of strings and lists as tuples.
    """

    __slots__ = ("event_id", "event_time", "event_type", "fields", "user_id", "virtual_event_id")

    def __init__(self, fields: dict[str, FieldValue], *, event_id: str | None = None) -> None:
        event_type, user_id, event_time = fields["eventType"], fields["userId"], fields["eventTime"]
        assert isinstance(event_type, str)
        assert isinstance(user_id, str)
        assert isinstance(event_time, float)
        self.fields = fields
        self.event_type = event_type
        self.user_id = user_id
        self.event_time = event_time
        self.event_id = event_id
        virtual_event_id = fields.get("virtualEventId")
        self.virtual_event_id = (
            id_string(virtual_event_id) if isinstance(virtual_event_id, str | int | float) else None
        )

    def __repr__(self) -> str:
        return f"NormalizedEvent({self.fields!r})"


class NormalizedBatch(NamedTuple):
    """Valid events with their batch positions, and refused ones as (position, code, message)."""

    events: list[NormalizedEvent]
    positions: list[int]
    rejected: list[tuple[int, str, str]]


def normalize_events(raws: Iterable[object], *, received_at: float) -> NormalizedBatch:
    """Normalise a batch, collecting refusals instead of stopping at the first."""
    batch = NormalizedBatch([], [], [])
    for position, raw in enumerate(raws):
        try:
            event = normalize_event(raw, received_at=received_at)
        except EventRejected as refusal:
            batch.rejected.append((position, refusal.code, refusal.message))
        else:
            batch.events.append(event)
            batch.positions.append(position)
    return batch


# Values of these exact classes are kept as they are (JSON gives exactly these); anything else (text too) is
# checked in full.
_PLAIN_CLASSES = frozenset({bool, type(None)})


def normalize_event(raw: object, *, received_at: float) -> NormalizedEvent:
    """Validate one raw event; raise EventRejected naming the offending field."""
    if raw.__class__ is not dict and not isinstance(raw, Mapping):
        raise EventRejected(VALIDATION_ERROR, "an event must be a JSON object")
    event_type = _event_type(raw.get("eventType"))
    user_id = _user_id(raw.get("userId"), raw.get("kuserId"))
    event_time = _event_time(raw.get("eventTime"), received_at)
    event_id = _event_id(raw.get("eventId"))
    fields: dict[str, FieldValue] = {}
    plain = _PLAIN_CLASSES
    # Runs for every field of every event: the common cases are decided inline, the rest by _field_value.
    for name, value in raw.items():
        # Text no database stores (NUL, lone surrogates) is not printable: printable text, the usual, is kept
        # after one C call; other text (tabs, line breaks too) is searched by the slower checks.
        if name.__class__ is not str or not name.isprintable():
            _check_name(name)
        # A number lies within the score limit (a float there is finite too): the usual case, decided inline.
        if (
            (value.__class__ is str and value.isprintable())
            or ((value.__class__ is float or value.__class__ is int) and -MAX_SCORE < value < MAX_SCORE)
            or value.__class__ in plain
        ):
            fields[name] = value
        else:
            fields[name] = _field_value(name, value)
    fields["eventType"] = event_type
    fields["userId"] = fields["kuserId"] = user_id
    fields["eventTime"] = event_time
    entry_id = fields.get("entryId")
    if entry_id is not None:
        if (refusal := entry_id_refusal(entry_id)) is not None:
            raise EventRejected(VALIDATION_ERROR, refusal)
        if isinstance(entry_id, str):
            fields["entryId"] = entry_id.strip()
    virtual_event_id = fields.get("virtualEventId")
    if isinstance(virtual_event_id, str):
        # As every virtual event id is kept (and a beacon's, whose session id is trimmed too).
        fields["virtualEventId"] = _trimmed_id("virtualEventId", virtual_event_id)
    session_id = fields.get("sessionId")
    if isinstance(session_id, str):
        fields["sessionId"] = _trimmed_id("sessionId", session_id)
    if raw.get("categories") is not None:
        fields["categories"] = _categories(raw["categories"])
    return NormalizedEvent(fields, event_id=event_id)


def _categories(value: object) -> tuple[str, ...]:
    # Each category trimmed, as the entry controller keeps them: [" 301 "] names the category "301", as the
    # comma text " 301 , 302" always did; in a list, one of spaces alone names none and is refused.
    categories = []
    for item in split_items(value):
        if isinstance(item, str):
            item = _trimmed_id("categories", item)
            if not item:
                raise EventRejected(VALIDATION_ERROR, "categories must not hold an empty category")
        categories.append(id_string(item))
    return tuple(categories)


def _trimmed_id(name: str, text: str) -> str:
    # Trimmed first, as a beacon's ids are; then a control character left inside refuses the event: the
    # player's beacons never carry one (domain/ids.py), so such an id could never meet a beacon's.
    text = text.strip()
    if has_control_characters(text):
        raise EventRejected(VALIDATION_ERROR, f"{name} {NO_CONTROL_CHARACTERS}")
    return text


def entry_id_refusal(entry_id: object) -> str | None:
    """Why an event's ``entryId`` is refused, or None when it is not.

    A text id is kept trimmed, as the ``entry`` controller and the player's beacons read it: " e1 " names the
    entry "e1", and an id of spaces alone names none."""
    if isinstance(entry_id, str):
        entry_id = entry_id.strip()
        if not entry_id:
            return "entryId must not be empty"
    if len(str(entry_id)) > MAX_ENTRY_ID_CHARS:  # (its text is the entry's id kept)
        return f"entryId must be at most {MAX_ENTRY_ID_CHARS} characters"
    if isinstance(entry_id, str) and has_control_characters(entry_id):
        return f"entryId {NO_CONTROL_CHARACTERS}"
    return None


def _field_value(name: str, value: object) -> FieldValue:
    if isinstance(value, str) and has_unstorable(value):
        raise _unstorable(name, value)
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise EventRejected(VALIDATION_ERROR, f"{name} must be a finite number")
        if not -MAX_SCORE < value < MAX_SCORE and name not in _IDENTITY_FIELDS:
            # A number is a score to the rules that read it; beyond the limit none could be stored exactly.
            raise EventRejected(VALIDATION_ERROR, f"{name} must lie within ±2^53 (the score limit)")
        return value
    if isinstance(value, list | tuple) and all(
        item.__class__ in _PLAIN_LIST_CLASSES or _is_list_item(item) for item in value
    ):
        for item in value:
            if isinstance(item, str) and not item.isprintable() and has_unstorable(item):
                raise _unstorable(name, item)
        return tuple(value)
    raise EventRejected(VALIDATION_ERROR, f"{name} must be a string, a number, a boolean or a list of them")


_PLAIN_LIST_CLASSES = frozenset({str, int, bool})
# Fields that name something: an integer there is an id, not a score, whatever its size.
_IDENTITY_FIELDS = frozenset({"eventId", "userId", "kuserId", "entryId"})


def _check_name(name: object) -> None:
    if not isinstance(name, str):
        raise EventRejected(VALIDATION_ERROR, "event field names must be strings")
    if has_unstorable(name):
        raise _unstorable("an event field name", name)


def _unstorable(name: str, text: str) -> EventRejected:
    return EventRejected(VALIDATION_ERROR, f"{readable(name)}: {unstorable_reason(text)}")


def _is_list_item(item: object) -> bool:
    return isinstance(item, str | bool | int) or (isinstance(item, float) and math.isfinite(item))


def _event_type(value: object) -> str:
    if value is None:
        raise EventRejected(MISSING_MANDATORY_PARAMETER, "eventType is required")
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_EVENT_TYPE_CHARS:
        raise EventRejected(
            VALIDATION_ERROR,
            f"eventType must be a non-empty string of at most {MAX_EVENT_TYPE_CHARS} characters",
        )
    return value


def _user_id(user_id: object, kuser_id: object) -> str:
    if (
        kuser_id is None
        and isinstance(user_id, str)
        and len(user_id) <= MAX_USER_ID_CHARS
        and user_id.strip()
    ):
        return user_id  # the usual event: one valid userId
    if user_id is None and kuser_id is None:
        raise EventRejected(MISSING_MANDATORY_PARAMETER, "userId (or kuserId) is required")
    given = [_one_user_id(name, value) for name, value in (("userId", user_id), ("kuserId", kuser_id))]
    present = [value for value in given if value is not None]
    if len(present) == 2 and present[0] != present[1]:
        raise EventRejected(VALIDATION_ERROR, "userId and kuserId name different users")
    return present[0]


def _one_user_id(name: str, value: object) -> str | None:
    if value is None:
        return None
    # Integer user ids are common in Kaltura clients; they name the same user as their decimal text (no longer
    # than a text one: the tables hold at most MAX_USER_ID_CHARS).
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_USER_ID_CHARS:
        raise EventRejected(
            VALIDATION_ERROR, f"{name} must be a non-empty string of at most {MAX_USER_ID_CHARS} characters"
        )
    return value


def _event_id(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # (its text is the id kept: no longer than a text one)
    if not isinstance(value, str) or not value or len(value) > MAX_EVENT_ID_CHARS:
        raise EventRejected(
            VALIDATION_ERROR,
            f"eventId must be an integer or a non-empty string of at most {MAX_EVENT_ID_CHARS} characters",
        )
    return value


def _event_time(value: object, received_at: float) -> float:
    if value is None:
        return float(received_at)
    seconds = parse_number(value)
    if seconds is None and isinstance(value, str):
        seconds = _iso_seconds(value)
    if seconds is None or not 0 <= seconds < MAX_EPOCH_SECONDS:
        raise EventRejected(
            VALIDATION_ERROR, "eventTime must be an ISO 8601 time with an offset or Z, or epoch seconds"
        )
    return seconds


def _iso_seconds(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()
