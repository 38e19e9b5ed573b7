"""Bodies of the ``rule`` controller (guide section 6); the rule's semantics are checked by the domain."""

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from gameservices.api.schemas.common import (
    GameObjectType,
    Id,
    Name,
    NotBoolean,
    OwnedListRequest,
    RequestModel,
    Text,
    update_model,
)

Number = Annotated[float | int | Annotated[str, StringConstraints(max_length=128)], NotBoolean]
FieldName = Annotated[str, StringConstraints(max_length=128)]


class RuleCreate(RequestModel):
    """``rule/create``: the guide's section 6.1 fields."""

    objectType: Literal["Rule"] | None = None
    gameObjectType: GameObjectType
    gameObjectId: Id
    name: Name
    description: Text | None = None
    conditions: list[Any] | dict[str, Any]
    type: Literal["sum", "count", "countUnique", "countBoolean", "external", "override"]
    mode: Literal["distribute_points", "dont_distribute_points"]
    metric: FieldName
    groupBy: FieldName | list[FieldName]
    goal: Number
    points: Number
    maxPoints: Number | None = None
    reportFormat: Literal["default", "in_minutes"] | None = None
    status: Literal["enabled", "disabled"] = "enabled"
    subRules: list[dict[str, Any]] | None = Field(None, max_length=20)
    userIdOverride: FieldName | None = None


RuleUpdate = update_model(RuleCreate, "RuleUpdate")


class RuleList(OwnedListRequest):
    """``rule/list``: the standard filters plus the game object."""
