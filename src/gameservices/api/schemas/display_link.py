"""Bodies of the ``displayLink`` controller (DESIGN.md section 9)."""

from typing import Annotated

from pydantic import Field, StringConstraints

from gameservices.api.schemas.common import Id, Name, Pager, RequestModel, Time
from gameservices.services.display_link import DEFAULT_TOP, MAX_TOP


class DisplayLinkCreate(RequestModel):
    """``displayLink/create``: a public big-screen link of a leaderboard."""

    gameObjectId: Id
    top: int = Field(DEFAULT_TOP, ge=1, le=MAX_TOP)
    title: Name | None = None
    anonymize: bool = False
    subLeaderboardId: int | Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    expiresAt: Time | None = None


class DisplayLinkList(RequestModel):
    """``displayLink/list``: the partner's links, optionally of one leaderboard."""

    gameObjectIdEqual: Id | None = None
    pager: Pager | None = None
