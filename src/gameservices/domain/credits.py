"""Certificate credits: the ``creditsMapping`` table and how a user's rule scores turn into credits.

The mapping is CSV text: a header ``credits,<ruleId>[,<ruleId>...]`` then rows ``<credits>,<threshold>[,...]``.
A user earns the credits of the highest row whose every threshold is met by the user's score on that rule.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

from gameservices.domain.errors import DomainValidationError

MAX_ROWS = 1000


@dataclass(frozen=True)
class CreditsMapping:
    """A parsed credits mapping: the rule ids of the header and rows of (credits, thresholds)."""

    rule_ids: tuple[str, ...]
    rows: tuple[tuple[float, tuple[float, ...]], ...]

    def credits_for(self, rule_scores: Mapping[str, float]) -> float:
        """The credits of the highest row whose thresholds the scores all meet (0 when none)."""
        earned = 0.0
        for credits, thresholds in self.rows:
            met = all(
                rule_scores.get(rule_id, 0.0) >= limit
                for rule_id, limit in zip(self.rule_ids, thresholds, strict=True)
            )
            if met and credits > earned:
                earned = credits
        return earned


def parse_credits_mapping(text: str) -> CreditsMapping:
    """Parse and check a credits mapping; errors name the line."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise DomainValidationError("creditsMapping", "is empty")
    header = [cell.strip() for cell in lines[0].split(",")]
    if len(header) < 2 or header[0].lower() != "credits":
        raise DomainValidationError(
            "creditsMapping", "line 1: the header must be credits,<ruleId>[,<ruleId>...]"
        )
    rule_ids = tuple(header[1:])
    if any(not rule_id for rule_id in rule_ids) or len(set(rule_ids)) != len(rule_ids):
        raise DomainValidationError("creditsMapping", "line 1: rule ids must be non-empty and distinct")
    if len(lines) - 1 > MAX_ROWS:
        raise DomainValidationError("creditsMapping", f"at most {MAX_ROWS} rows")
    rows = tuple(_parse_row(line, number, len(rule_ids)) for number, line in enumerate(lines[1:], start=2))
    if not rows:
        raise DomainValidationError("creditsMapping", "needs at least one row after the header")
    return CreditsMapping(rule_ids=rule_ids, rows=rows)


def _parse_row(line: str, number: int, width: int) -> tuple[float, tuple[float, ...]]:
    cells = [cell.strip() for cell in line.split(",")]
    if len(cells) != width + 1:
        raise DomainValidationError("creditsMapping", f"line {number}: expected {width + 1} values")
    try:
        values = [float(cell) for cell in cells]
    except ValueError as error:
        raise DomainValidationError("creditsMapping", f"line {number}: values must be numbers") from error
    if any(not math.isfinite(value) or value < 0 for value in values):
        raise DomainValidationError(
            "creditsMapping", f"line {number}: values must be finite and not negative"
        )
    return values[0], tuple(values[1:])
