"""Times on the wire: ISO 8601 UTC with milliseconds out; ISO 8601 with offset or epoch seconds in.

Inside the service every time is an integer count of milliseconds since the Unix epoch.
"""

import math
import re
from datetime import UTC, datetime

# Years outside this range cannot be formatted back and are refused on input.
_MIN_MS = int(datetime(1970, 1, 1, tzinfo=UTC).timestamp() * 1000)
_MAX_MS = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp() * 1000)
# Epoch seconds as text: ASCII digits only (str.isdigit() also takes "²", which float() refuses, and "٣").
_EPOCH_SECONDS = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")


class TimeFormatError(ValueError):
    """A value that is not a time this service accepts."""


def now_ms() -> int:
    """Return the current time in epoch milliseconds."""
    return int(datetime.now(UTC).timestamp() * 1000)


def format_ms(ms: int) -> str:
    """Format epoch milliseconds as ``2025-05-20T10:00:00.000Z``."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_time(value: object) -> int:
    """Parse ISO 8601 text (naive means UTC) or epoch seconds into epoch milliseconds."""
    if isinstance(value, bool):
        raise TimeFormatError("expected an ISO 8601 time or epoch seconds")
    if isinstance(value, int | float):
        if abs(value) > _MAX_MS or not math.isfinite(value):
            raise TimeFormatError("time out of range (1970-01-01 to 9999-12-31)")
        ms = round(value * 1000)
    elif isinstance(value, str):
        ms = _parse_iso(value.strip())
    else:
        raise TimeFormatError("expected an ISO 8601 time or epoch seconds")
    if not _MIN_MS <= ms <= _MAX_MS:
        raise TimeFormatError("time out of range (1970-01-01 to 9999-12-31)")
    return ms


def parse_seconds(value: object) -> float:
    """Parse a time as `parse_time` does (the same forms, range and errors) into epoch seconds as precise as
    given: an event keeps its eventTime so, and bounds compared with it must not be rounded to milliseconds."""
    parse_time(value)
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if _EPOCH_SECONDS.fullmatch(text):
        return float(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _parse_iso(text: str) -> int:
    if not text or len(text) > 64:
        raise TimeFormatError("expected an ISO 8601 time")
    if _EPOCH_SECONDS.fullmatch(text):
        return parse_time(float(text))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise TimeFormatError(f"not an ISO 8601 time: {text!r}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)
