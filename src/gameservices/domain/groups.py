"""Lead-scoring groups: named score ranges (absolute) and percentile ranges, and which one a user falls in."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from itertools import pairwise
from typing import Any

from gameservices.domain.errors import DomainValidationError


@dataclass(frozen=True)
class Group:
    """A named inclusive range ``[low, high]``."""

    name: str
    low: float
    high: float

    @cached_property
    def end(self) -> float:
        """Where the range stops (excluded): the next value after ``high`` at the precision it is written in,
        so the range also takes the gap up to it (79 holds 79.5, 49.99 holds 49.995)."""
        if not math.isfinite(self.high) or self.high == int(self.high):
            return self.high + 1
        written = Decimal(repr(self.high))
        return float(written + Decimal(1).scaleb(written.as_tuple().exponent))  # type: ignore[arg-type]


DEFAULT_PERCENTAGE_GROUPS = (
    Group("Hot Leads", 80, 100),
    Group("Warm Leads", 50, 79),
    Group("Cold Leads", 0, 49),
)


def parse_groups(raw: Sequence[dict[str, object]], *, field: str, percentages: bool) -> tuple[Group, ...]:
    """Check a list of ``{name, range: [low, high]}``: well formed, distinct names, no overlaps."""
    groups: list[Group] = []
    for index, item in enumerate(raw):
        name, bounds = item.get("name"), item.get("range")
        where = f"{field}[{index}]"
        if not isinstance(name, str) or not name:
            raise DomainValidationError(f"{where}.name", "must be a non-empty string")
        if not isinstance(bounds, list | tuple) or len(bounds) != 2:
            raise DomainValidationError(f"{where}.range", "must be [low, high]")
        low, high = float(bounds[0]), float(bounds[1])
        if low > high:
            raise DomainValidationError(f"{where}.range", "low must not exceed high")
        if percentages and (low < 0 or high > 100):
            raise DomainValidationError(f"{where}.range", "percentages lie between 0 and 100")
        groups.append(Group(name, low, high))
    _check_distinct(groups, field)
    return tuple(groups)


def profile_groups(data: Mapping[str, Any]) -> tuple[tuple[Group, ...], tuple[Group, ...]]:
    """A lead-scoring profile's score groups and percentage groups (the default ones when it has none), from
    its stored fields."""
    score_groups = parse_groups(data.get("scoreGroups") or [], field="scoreGroups", percentages=False)
    raw_percentages = data.get("percentageGroups")
    percentage_groups = (
        parse_groups(raw_percentages, field="percentageGroups", percentages=True)
        if raw_percentages
        else DEFAULT_PERCENTAGE_GROUPS
    )
    return score_groups, percentage_groups


def percentile(rank: int, total: int) -> float:
    """100 × (N − rank) / max(N − 1, 1) rounded to two decimals: the first of N users is at 100, a lone user
    too. Rounded here, so a lead's percentage group is the one holding the percentile it shows (79.996 shows
    80 and is a Hot Lead)."""
    if total <= 1:
        return 100.0
    return round(100 * (total - rank) / (total - 1), 2)


def group_of(groups: Sequence[Group], value: float) -> str | None:
    """The name of the group whose range holds the value, or else of the one whose range takes the gap the value
    is in: up to the next value at the precision its high bound is written in (79.5 falls in 50–79, 49.995 in
    0–49.99), or None."""
    for group in groups:
        if group.low <= value <= group.high:
            return group.name
    for group in groups:
        if group.high < value < group.end:
            return group.name
    return None


def _check_distinct(groups: list[Group], field: str) -> None:
    names = [group.name for group in groups]
    if len(set(names)) != len(names):
        raise DomainValidationError(field, "group names must be distinct")
    ordered = sorted(groups, key=lambda group: group.low)
    for before, after in pairwise(ordered):
        if after.low <= before.high:
            raise DomainValidationError(field, f"groups {before.name!r} and {after.name!r} overlap")
