"""Bodies of the ``displayLink`` controller (DESIGN.md section 9)."""

from typing import Annotated

from pydantic import Field, StringConstraints

from gameservices.api.schemas.common import Id, Name, Pager, RequestModel, Time, Whole
from gameservices.services.standings.display_link import DEFAULT_TOP, MAX_TOP, DisplayLinkInput


class DisplayLinkCreate(RequestModel):
    """``displayLink/create``: a public big-screen link of a leaderboard."""

    gameObjectId: Id
    top: Whole = Field(DEFAULT_TOP, ge=1, le=MAX_TOP)
    title: Name | None = None
    anonymize: bool = False
    subLeaderboardId: Whole | Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    expiresAt: Time | None = None

    def link_input(self) -> DisplayLinkInput:
        """What the service creates from this body."""
        return DisplayLinkInput(
            game_object_id=self.gameObjectId,
            top=self.top,
            title=self.title,
            anonymize=self.anonymize,
            sub_leaderboard_id=None if self.subLeaderboardId is None else str(self.subLeaderboardId),
            expires_at=self.expiresAt,
        )


class DisplayLinkList(RequestModel):
    """``displayLink/list``: the partner's links, optionally of one leaderboard."""

    gameObjectIdEqual: Id | None = None
    pager: Pager | None = None
