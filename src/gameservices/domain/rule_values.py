"""The value forms of a rule's `points`, `maxPoints` and `groupBy` fields.

`points` is a number or the name of an event field (`"score"`). `maxPoints` is a number, `"unlimited"`, an
event field name, or `"<field>,inMinutesMultiplyByPoints"` (cap = floor(field / 60) × points). `groupBy` is
a comma string or a list of event field names; empty means one bucket for the whole rule.
"""

from dataclasses import dataclass
from enum import StrEnum

from gameservices.domain.errors import DomainValidationError
from gameservices.domain.inputs import is_field_name, parse_amount, parse_field_name
from gameservices.domain.values import parse_number

UNLIMITED = "unlimited"
IN_MINUTES_SUFFIX = ",inMinutesMultiplyByPoints"
MAX_GROUP_BY_FIELDS = 8


@dataclass(frozen=True, slots=True)
class Points:
    """A fixed `amount`, or the event `field` that holds the points."""

    amount: float | None = None
    field: str | None = None


class CapKind(StrEnum):
    """The form of a `maxPoints` value."""

    UNLIMITED = "unlimited"
    FIXED = "fixed"
    FIELD = "field"
    FIELD_IN_MINUTES = "fieldInMinutes"


@dataclass(frozen=True, slots=True)
class MaxPoints:
    """A rule's cap on the points one bucket hands out."""

    kind: CapKind = CapKind.UNLIMITED
    amount: float | None = None
    field: str | None = None


NO_CAP = MaxPoints()


def parse_points(raw: object, path: str) -> Points:
    """Parse `points`: a non-negative number (or numeric string) or an event field name."""
    if parse_number(raw) is not None:
        return Points(amount=parse_amount(raw, path))
    if is_field_name(raw):
        assert isinstance(raw, str)
        return Points(field=raw)
    raise DomainValidationError(path, "must be a number or the name of an event field")


def parse_max_points(raw: object, path: str) -> MaxPoints:
    """Parse `maxPoints`; absent means unlimited."""
    # "Unlimited" must not silently become the name of an event field.
    if raw is None or (isinstance(raw, str) and raw.lower() == UNLIMITED):
        return NO_CAP
    if parse_number(raw) is not None:
        return MaxPoints(CapKind.FIXED, amount=parse_amount(raw, path))
    if isinstance(raw, str) and raw.endswith(IN_MINUTES_SUFFIX):
        field = parse_field_name(raw.removesuffix(IN_MINUTES_SUFFIX), path)
        return MaxPoints(CapKind.FIELD_IN_MINUTES, field=field)
    if is_field_name(raw):
        assert isinstance(raw, str)
        return MaxPoints(CapKind.FIELD, field=raw)
    raise DomainValidationError(
        path, f"must be a number, '{UNLIMITED}', an event field name or '<field>{IN_MINUTES_SUFFIX}'"
    )


def parse_group_by(raw: object, path: str) -> tuple[str, ...]:
    """Parse `groupBy` into its field names, in order; "" or [] gives one bucket for the rule."""
    if isinstance(raw, str):
        names: list[object] = [part.strip() for part in raw.split(",") if part.strip()]
    elif isinstance(raw, list):
        names = list(raw)
    else:
        raise DomainValidationError(path, "must be a comma-separated string or a list of event field names")
    if len(names) > MAX_GROUP_BY_FIELDS:
        raise DomainValidationError(path, f"may name at most {MAX_GROUP_BY_FIELDS} fields")
    fields = tuple(parse_field_name(name, path) for name in names)
    if len(set(fields)) != len(fields):
        raise DomainValidationError(path, "names a field twice")
    return fields
