"""Bodies of the ``scheduledGameObject`` controller (guide section 13)."""

from typing import Literal

from gameservices.api.schemas.common import GameObjectType, Id, OwnedListRequest, RequestModel, Time


class ScheduledGameObjectCreate(RequestModel):
    """``scheduledGameObject/create``."""

    objectType: Literal["ScheduledGameObject"] | None = None
    gameObjectType: GameObjectType
    gameObjectId: Id
    scheduledAction: Literal["enable", "disable"]
    scheduledDate: Time


class ScheduledGameObjectUpdate(RequestModel):
    """``scheduledGameObject/update``: a pending transition's action or date."""

    objectType: Literal["ScheduledGameObject"] | None = None
    id: Id
    scheduledAction: Literal["enable", "disable"] | None = None
    scheduledDate: Time | None = None


class ScheduledGameObjectList(OwnedListRequest):
    """``scheduledGameObject/list``: the standard filters plus the game object."""
