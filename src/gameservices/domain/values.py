"""How event and rule values compare: numbers, id strings, match keys and comma lists.

The API sends numbers both as JSON numbers and as strings ("60"), ids both as strings and as integers, and
lists both as JSON arrays and as comma strings. These helpers give every part of the engine one answer.
"""

import math
import re
from collections.abc import Iterable

Scalar = str | int | float | bool
MatchKey = str | int | float

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
# Only strings starting like a number are worth the regular expression on the hot path.
NUMBER_START = frozenset("0123456789+-.")
# Longer digit strings are ids, not quantities; int() would also refuse very long ones.
_MAX_NUMBER_CHARS = 40


# Scores, points, goals and caps are doubles: whole numbers are exact up to 2**53. Inputs beyond it are refused
# (docs/decisions.md, "Score limits"); a total that grows past it by accumulating is kept as the nearest double.
MAX_SCORE = 2**53


def shown_number(value: float) -> float | int:
    """A number as the API and the reports show it: a whole number within ±MAX_SCORE as an integer (no ".0"),
    any other as the float it is (every JSON, CSV and XLSX writer takes it; a huge integer would not)."""
    return int(value) if -MAX_SCORE <= value <= MAX_SCORE and float(value).is_integer() else value


def is_scalar(value: object) -> bool:
    """Tell whether value is a JSON scalar other than null."""
    return type(value) in (str, int, float, bool)


def parse_number(value: object) -> float | None:
    """Return value as a finite float when it is a number or a numeric string, else None (bools are not)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return None
    if isinstance(value, str):
        return _parse_numeric_string(value)
    return None


def _parse_numeric_string(text: str) -> float | None:
    if not text or text[0] not in NUMBER_START or len(text) > _MAX_NUMBER_CHARS:
        return None
    if not _DECIMAL.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def match_key(value: Scalar) -> MatchKey:
    """Key under which conditions compare a scalar: numbers (and numeric strings) by value, bools as text."""
    if isinstance(value, str):
        return _string_key(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _string_key(text: str) -> MatchKey:
    if not text or text[0] not in NUMBER_START or len(text) > _MAX_NUMBER_CHARS:
        return text
    if _INTEGER.fullmatch(text):
        # An exact int keeps long integer ids distinct; 60 == 60.0 still holds across int and float keys.
        return int(text)
    number = _parse_numeric_string(text)
    return text if number is None else number


def looks_numeric(text: str) -> bool:
    """Tell whether a string would compare as a number."""
    return _string_key(text) is not text


def id_string(value: Scalar) -> str:
    """Canonical text of an id-like value (bucket keys, seen values, categories, virtualEventId)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def split_items(value: object) -> tuple[Scalar, ...]:
    """Items of a list value: a list as is, a comma string split and trimmed, any other scalar alone."""
    if isinstance(value, list | tuple):
        return tuple(value)
    if isinstance(value, str):
        return tuple(item for item in (part.strip() for part in value.split(",")) if item)
    return (value,)  # type: ignore[return-value]


def key_set(items: Iterable[Scalar]) -> frozenset[MatchKey]:
    """Match keys of items, plus the raw strings so that exact text finds a hit without parsing."""
    keys: set[MatchKey] = set()
    for item in items:
        keys.add(match_key(item))
        if type(item) is str:
            keys.add(item)
    return frozenset(keys)


def has_key_in(value: Scalar, keys: frozenset[MatchKey]) -> bool:
    """Tell whether a scalar's match key is in keys (a set built by key_set)."""
    if type(value) is str:
        if value in keys:
            return True
        if not looks_numeric(value):
            return False
    return match_key(value) in keys
