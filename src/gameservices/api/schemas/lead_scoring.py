"""Bodies of the ``leadScoring`` controller (guide section 9)."""

from typing import Annotated, Literal

from pydantic import Field, FiniteFloat

from gameservices.api.schemas.common import (
    Name,
    NotBoolean,
    ParticipationPolicy,
    RequestModel,
    Status,
    Text,
    Time,
    VirtualEventIds,
    update_model,
)

MAX_GROUPS = 20


class Group(RequestModel):
    """A named score range ``[low, high]``."""

    name: Name
    range: list[Annotated[FiniteFloat, NotBoolean]] = Field(min_length=2, max_length=2)


class LeadScoringCreate(RequestModel):
    """``leadScoring/create``: score groups or percentage groups are required."""

    objectType: Literal["LeadScoring"] | None = None
    name: Name
    description: Text | None = None
    status: Status
    startDate: Time | None = None
    endDate: Time | None = None
    virtualEventIds: VirtualEventIds | None = None
    participationPolicy: ParticipationPolicy | None = None
    scoreGroups: list[Group] | None = Field(None, max_length=MAX_GROUPS)
    percentageGroups: list[Group] | None = Field(None, max_length=MAX_GROUPS)


LeadScoringUpdate = update_model(LeadScoringCreate, "LeadScoringUpdate")
