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
    update_model,
)

MAX_SUB_LEADERBOARDS = 20


class SubLeaderboard(RequestModel):
    """A segmentation of the leaderboard's users by profile fields."""

    id: int | Annotated[str, StringConstraints(min_length=1, max_length=64)]
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


LeaderboardUpdate = update_model(LeaderboardCreate, "LeaderboardUpdate")
