"""Bodies of the ``userScore`` controller (guide section 10, DESIGN.md section 4)."""

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints

from gameservices.api.schemas.common import GameObjectType, Id, Pager, RequestModel, Whole
from gameservices.api.schemas.entry import EntryId

UserId = Annotated[str, StringConstraints(min_length=1, max_length=256)]
SubGameId = Whole | Annotated[str, StringConstraints(min_length=1, max_length=64)]
MAX_PERIOD_INDEX = 100_000_000
PERIOD_NAMES = ("current", "previous", "all")


def _period(value: Any) -> Any:
    # One error naming `period` for whatever is none (the union's own errors name its members).
    if value in PERIOD_NAMES and isinstance(value, str):
        return value
    index = value.strip() if isinstance(value, str) else value
    digits = isinstance(index, str) and index.isascii() and index.isdigit() and len(index) <= 12
    if digits or (isinstance(index, float) and index.is_integer()):
        index = int(index)
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index <= MAX_PERIOD_INDEX:
        return index
    raise ValueError(f"must be current, previous, all or a period index from 0 to {MAX_PERIOD_INDEX:,}")


# Which period of a recurring leaderboard (docs/periods.md): an index, or one of these names.
Period = Annotated[
    Literal["current", "previous", "all"] | Annotated[int, Field(ge=0, le=MAX_PERIOD_INDEX)],
    BeforeValidator(_period),
]


class GameObjectUserRequest(RequestModel):
    """A request about one user of a game object."""

    gameObjectId: Id
    gameObjectType: GameObjectType | None = None
    userId: UserId


class UserScoreGet(GameObjectUserRequest):
    """``userScore/get``: a user's score and rank, in a period."""

    period: Period | None = None


class RuleProgressRequest(GameObjectUserRequest):
    """``userScore/ruleProgress``: a user's progress on each rule, all-time (the default) or in a period."""

    period: Period | None = None


class GameObjectRequest(RequestModel):
    """A request about a game object's users."""

    gameObjectId: Id
    gameObjectType: GameObjectType | None = None


class SubGameProperties(RequestModel):
    """A sub-leaderboard, and optionally one of its segments."""

    id: SubGameId
    option: Annotated[str, StringConstraints(max_length=1024)] | None = None


class UserScoreList(GameObjectRequest):
    """``userScore/list``: a ranked page, a user's neighbourhood, or team standings."""

    pager: Pager | None = None
    userIdEqual: UserId | None = None
    placesAboveUser: Whole = Field(0, ge=0, le=500)
    placesBelowUser: Whole = Field(0, ge=0, le=500)
    subGameProperties: SubGameProperties | None = None
    includeHidden: bool = False
    period: Period | None = None


class SubGameOptionsRequest(GameObjectRequest):
    """``userScore/getSubGameOptions``."""

    subGameId: SubGameId
    period: Period | None = None


class UserBadgeList(GameObjectRequest):
    """``userBadge/list``."""

    userIdEqual: UserId | None = None
    statusEqual: Literal["ACHIEVED", "IN_PROGRESS"] | None = None
    pager: Pager | None = None


class UserCertificateReportList(GameObjectRequest):
    """``userCertificateReport/list``."""

    userId: UserId | None = None
    entryId: EntryId | None = None
    status: Literal["IN_PROGRESS", "CERTIFIED"] | None = None
    pager: Pager | None = None


class UserLeadScoringList(GameObjectRequest):
    """``userLeadScoring/list``."""

    userIdEqual: UserId | None = None
    pager: Pager | None = None
