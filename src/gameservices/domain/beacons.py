"""The Kaltura player's analytics beacons (KAVA ``analytics.trackEvent``) read and turned into rule events.

A beacon is one flat set of parameters (``docs/player-analytics.md``). Only what scoring needs is read:
``partnerId``, ``eventType`` (a KAVA event number), ``entryId``, ``sessionId``, ``eventIndex``,
``playTimeSum`` and ``position``, the viewer (``ks``, ``userId``), ``virtualEventId`` and ``playbackType``.
Everything else the player sends is ignored. Reading never raises: a beacon that cannot be scored is ``None``.
"""

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any

from gameservices.domain.ids import CONTROL_CHARACTERS

# KAVA event numbers (playkit-js-kava, kava-event-model.ts). 14 is PLAY_REACHED_100_PERCENT, 15 the later
# PLAY_REACHED_90_PERCENT: the numbers do not follow the percentages.
VIEW = 99
IMPRESSION = 1
PLAY = 3
QUARTILE_PERCENT = {11: 25, 12: 50, 13: 75, 14: 100, 15: 90}
SCORED_TYPES = frozenset({VIEW, IMPRESSION, PLAY, *QUARTILE_PERCENT})

# The player sends a VIEW every 10 s of playback: a larger increase of playTimeSum between two beacons is not
# play time the viewer could have had (a skipped beacon, a forged sum), so one beacon counts at most this.
MAX_PLAY_TIME_PER_BEACON = 30.0
MAX_TEXT = 256
MAX_PARTNER_ID = 2**31 - 1
# The largest eventIndex a viewing session keeps (its column's range); the player counts from 1.
MAX_SESSION_INDEX = 2**31 - 1
_INTEGER = re.compile(r"\s*[+-]?\d{1,18}\s*")
# Control characters (no id holds one: domain/ids.py) and lone surrogates.
_NOT_TEXT = re.compile(f"[{CONTROL_CHARACTERS}\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Beacon:
    """The parts of one beacon that scoring reads."""

    partner_id: int
    event_type: int
    entry_id: str
    session_id: str
    event_index: int
    play_time_sum: float | None
    position: float | None
    ks: str | None
    user_id: str | None
    virtual_event_id: str | None
    playback_type: str | None

    @property
    def session_index(self) -> int | None:
        """The eventIndex its session keeps to tell a reset by (None: none, or none a session can keep, which is
        not compared)."""
        index = self.event_index
        return index if index and abs(index) <= MAX_SESSION_INDEX else None

    def event_id(self, user_id: str) -> str:
        """A deterministic id: an exact repeat of the beacon (same session, index, type, playTimeSum and
        position, for the same user and entry) has the same id and counts once.

        The index alone is no key: the player starts it again at 1 when it resets its counters after idling.
        """
        parts = (
            self.entry_id,
            self.session_id,
            str(self.event_index),
            str(self.event_type),
            repr(self.play_time_sum),
            repr(self.position),
            user_id,
        )
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
        return f"kava-{digest[:40]}"


def partner_of(params: dict[str, Any]) -> int | None:
    """The beacon's ``partnerId``, or None when it is not a partner id."""
    partner_id = _integer(params.get("partnerId"))
    return partner_id if partner_id is not None and 0 < partner_id <= MAX_PARTNER_ID else None


def read_beacon(params: dict[str, Any]) -> Beacon | None:
    """The beacon in a request's parameters; None when it is not one this service scores."""
    partner_id = partner_of(params)
    event_type = _integer(params.get("eventType"))
    entry_id, session_id = _text(params.get("entryId")), _text(params.get("sessionId"))
    if partner_id is None or event_type not in SCORED_TYPES or not entry_id or not session_id:
        return None
    play_time_sum = _number(params.get("playTimeSum"))
    if event_type == VIEW and (play_time_sum is None or play_time_sum < 0):
        return None
    return Beacon(
        partner_id=partner_id,
        event_type=event_type,
        entry_id=entry_id,
        session_id=session_id,
        event_index=_integer(params.get("eventIndex")) or 0,
        play_time_sum=play_time_sum,
        position=_number(params.get("position")),
        ks=_text(params.get("ks"), max_length=8192),
        user_id=_text(params.get("userId")),
        virtual_event_id=_text(params.get("virtualEventId")),
        playback_type=_text(params.get("playbackType"), max_length=32),
    )


def play_time(
    previous_sum: float | None,
    play_time_sum: float,
    previous_index: int | None = None,
    event_index: int | None = None,
) -> float:
    """The play time a VIEW beacon adds: the increase of the session's playTimeSum, at most 30 s.

    A sum below the previous one, or an eventIndex below the previous VIEW's, is the player's reset after idling
    (30 s without a VIEW: it restarts both): the new sum is all new play time (the first sum after a reset is not
    always below the last one, a pause soon after a VIEW, while the index starts again at 1). The first VIEW of a
    session brings its whole sum.
    """
    index_went_down = previous_index is not None and event_index is not None and event_index < previous_index
    if previous_sum is None or play_time_sum < previous_sum or index_went_down:
        increase = play_time_sum
    else:
        increase = play_time_sum - previous_sum
    return min(increase, MAX_PLAY_TIME_PER_BEACON)


def rule_event(beacon: Beacon, user_id: str, *, play_time_added: float | None) -> dict[str, Any] | None:
    """The event a beacon sends to the rules engine; None for a VIEW that adds no play time."""
    event: dict[str, Any] = {
        "eventId": beacon.event_id(user_id),
        "userId": user_id,
        "entryId": beacon.entry_id,
        "sessionId": beacon.session_id,
    }
    if beacon.event_type == VIEW:
        if not play_time_added:
            return None
        event.update(eventType="viewPeriod", playTime=round(play_time_added, 3))
    elif beacon.event_type == IMPRESSION:
        event["eventType"] = "playerImpression"
    elif beacon.event_type == PLAY:
        event["eventType"] = "play"
    else:
        event.update(eventType="quartile", percent=QUARTILE_PERCENT[beacon.event_type])
    if beacon.virtual_event_id:
        event["virtualEventId"] = beacon.virtual_event_id
    if beacon.playback_type:
        event["playbackType"] = beacon.playback_type
    return event


def _text(value: Any, *, max_length: int = MAX_TEXT) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = (str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)).strip()
    if not text or len(text) > max_length or _NOT_TEXT.search(text):
        return None
    return text


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**18 else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() and abs(value) < 1e18 else None
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    if isinstance(value, str) and len(value) > 64:
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and abs(number) < 1e12 else None
