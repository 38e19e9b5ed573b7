"""Parsing of the API's input values shared by definitions: enums, numbers that may arrive as strings,
event field names. Every failure is a DomainValidationError naming the field."""

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from gameservices.domain.errors import INVALID_ENUM_VALUE, MISSING_MANDATORY_PARAMETER, DomainValidationError
from gameservices.domain.values import MAX_SCORE, parse_number

E = TypeVar("E", bound=StrEnum)

MAX_FIELD_NAME_CHARS = 128
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def require(raw: Mapping[str, object], name: str, path: str) -> object:
    """Return raw[name], which must be present and not null."""
    value = raw.get(name)
    if value is None:
        raise DomainValidationError(path, "is required", code=MISSING_MANDATORY_PARAMETER)
    return value


def parse_enum(kind: type[E], raw: object, path: str) -> E:
    """Return the member of kind spelled raw; a missing or unknown value names the allowed ones."""
    values = [member.value for member in kind]
    if raw is None:
        raise DomainValidationError(
            path, f"is required, one of {', '.join(values)}", code=MISSING_MANDATORY_PARAMETER
        )
    if not isinstance(raw, str) or raw not in values:
        raise DomainValidationError(path, f"must be one of {', '.join(values)}", code=INVALID_ENUM_VALUE)
    return kind(raw)


def parse_amount(raw: object, path: str, *, positive: bool = False) -> float:
    """Return a non-negative (or positive) number given as a JSON number or a numeric string."""
    number = parse_number(raw)
    if number is None:
        raise DomainValidationError(path, "must be a number")
    if positive and number <= 0:
        raise DomainValidationError(path, "must be greater than 0")
    if number < 0:
        raise DomainValidationError(path, "must not be negative")
    if number > MAX_SCORE:
        raise DomainValidationError(path, f"must be at most {MAX_SCORE} (2^53, the score limit)")
    return number


def is_field_name(raw: object) -> bool:
    """Tell whether raw can name an event field."""
    return (
        isinstance(raw, str) and len(raw) <= MAX_FIELD_NAME_CHARS and _FIELD_NAME.fullmatch(raw) is not None
    )


def parse_field_name(raw: object, path: str) -> str:
    """Return an event field name (letters, digits, `_`, `.`, `-`; starting with a letter or `_`)."""
    if not is_field_name(raw):
        raise DomainValidationError(
            path, f"must be an event field name of at most {MAX_FIELD_NAME_CHARS} characters"
        )
    assert isinstance(raw, str)
    return raw


def parse_text(raw: object, path: str, *, max_chars: int) -> str:
    """Return a non-blank string of at most max_chars characters."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > max_chars:
        raise DomainValidationError(path, f"must be a non-empty string of at most {max_chars} characters")
    return raw
