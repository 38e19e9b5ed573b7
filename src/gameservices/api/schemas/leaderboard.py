"""Bodies of the ``leaderboard`` controller (guide section 4)."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from gameservices.api.schemas.common import (
    MAX_NAME,
    Name,
    ParticipationPolicy,
    RequestModel,
    Status,
    Text,
    Time,
    VirtualEventIds,
    Whole,
    update_model,
)
from gameservices.domain.periods import DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS, MAX_INTERVAL

MAX_SUB_LEADERBOARDS = 20


class Recurrence(RequestModel):
    """When a recurring leaderboard's periods reset (docs/periods.md); the time zone is checked by the service."""

    unit: Literal["day", "week", "month"]
    interval: Whole = Field(1, ge=1, le=MAX_INTERVAL)
    anchor: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    graceSeconds: Whole = Field(DEFAULT_GRACE_SECONDS, ge=0, le=MAX_GRACE_SECONDS)


class SubLeaderboard(RequestModel):
    """A segmentation of the leaderboard's users by profile fields."""

    id: Whole | Annotated[str, StringConstraints(min_length=1, max_length=64)]
    name: Name
    filterPaths: list[Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)]] = Field(
        min_length=1, max_length=5
    )


class LeaderboardCreate(RequestModel):
    """``leaderboard/create``."""

    objectType: Literal["Leaderboard"] | None = None
    name: Name
    description: Text | None = None
    status: Status
    startDate: Time
    endDate: Time
    virtualEventIds: VirtualEventIds
    participationPolicy: ParticipationPolicy | None = None
    subLeaderboards: list[SubLeaderboard] | None = Field(None, max_length=MAX_SUB_LEADERBOARDS)
    recurrence: Recurrence | None = None


LeaderboardUpdate = update_model(LeaderboardCreate, "LeaderboardUpdate")
