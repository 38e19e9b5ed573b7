"""What an evaluation produces: awards, completions, the changed buckets and the rules' skipped events."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from gameservices.domain.buckets import Bucket, BucketKey

# The ledger's rule id of scores set by hand (API v3 `update`): the difference from the total is booked under it.
MANUAL_RULE_ID = "manual"


class Award(NamedTuple):
    """Points one event earned a user from one rule; negative only for external and override rules.

    `distributed` is False for dont_distribute_points rules, whose awards never count in a score; `hidden`
    is True when the user's participation policy is do_not_display.
    """

    game_object_id: str
    rule_id: str
    user_id: str
    points: float
    event_time: float
    bucket_key: BucketKey
    distributed: bool
    hidden: bool
    event_index: int


class Completion(NamedTuple):
    """A bucket first reached its rule's goal (what badge rules and certificates wait for)."""

    game_object_id: str
    rule_id: str
    user_id: str
    bucket_key: BucketKey
    event_time: float
    event_index: int


@dataclass(slots=True)
class Evaluation:
    """The outcome of evaluating a batch of events.

    `changed` holds copies of every bucket the batch touched (the caller's stored buckets are untouched);
    `skipped` lists (index in batch, rule id, message) for each rule that could not use an event: that rule
    ignored it (leaving no trace of it), every other rule saw it.
    """

    changed: dict[BucketKey, Bucket] = field(default_factory=dict)
    awards: list[Award] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)


def rule_scores(awards: Iterable[Award]) -> dict[tuple[str, str, str], float]:
    """Sum the distributed awards per (game object id, rule id, user id)."""
    totals: dict[tuple[str, str, str], float] = {}
    for award in awards:
        if award.distributed:
            key = (award.game_object_id, award.rule_id, award.user_id)
            totals[key] = totals.get(key, 0.0) + award.points
    return totals


def user_scores(awards: Iterable[Award]) -> dict[tuple[str, str], float]:
    """Sum the distributed awards per (game object id, user id)."""
    totals: dict[tuple[str, str], float] = {}
    for award in awards:
        if award.distributed:
            key = (award.game_object_id, award.user_id)
            totals[key] = totals.get(key, 0.0) + award.points
    return totals
