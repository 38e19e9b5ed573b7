"""Bodies of the ``badge`` controller (guide section 7)."""

from typing import Any, Literal

from pydantic import Field

from gameservices.api.schemas.common import (
    Name,
    ParticipationPolicy,
    RequestModel,
    Status,
    Text,
    Time,
    Url,
    VirtualEventIds,
    update_model,
)

MAX_RULES_PER_OBJECT = 100


class BadgeCreate(RequestModel):
    """``badge/create``: the badge with its rules inline."""

    objectType: Literal["Badge"] | None = None
    name: Name
    description: Text | None = None
    status: Status = "enabled"
    startDate: Time | None = None
    endDate: Time | None = None
    virtualEventIds: VirtualEventIds | None = None
    iconUrl: Url | None = None
    participationPolicy: ParticipationPolicy | None = None
    rules: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_RULES_PER_OBJECT)


BadgeUpdate = update_model(BadgeCreate, "BadgeUpdate")
