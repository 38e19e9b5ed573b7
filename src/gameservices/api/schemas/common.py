"""Models shared by every controller: base model, times, ids, pager, list filters, participation policy."""

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError

from gameservices.domain.listing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from gameservices.domain.timefmt import parse_time

MAX_NAME = 256
MAX_TEXT = 65536
MAX_URL = 2048
MAX_LIST = 100

Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Url = Annotated[str, StringConstraints(max_length=MAX_URL)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Time = Annotated[
    int,
    BeforeValidator(parse_time),
    # Years 1970 to 9999, as ISO 8601 text or epoch seconds.
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time", "pattern": "^(19[7-9][0-9]|[2-9][0-9]{3})-"},
                {"type": "number", "minimum": 0, "maximum": 253402300799},
            ]
        }
    ),
]
# Trimmed, as an event's virtualEventId is: " 7001 " is the virtual event "7001".
VirtualEventIds = Annotated[
    list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]],
    BeforeValidator(
        lambda value: (
            [str(item) if isinstance(item, int) and not isinstance(item, bool) else item for item in value]
            if isinstance(value, list)
            else value
        )
    ),
    Field(max_length=MAX_LIST),
]


def _not_a_boolean(value: object) -> object:
    # JSON's true and false are not numbers, though pydantic's int and float take them as 1 and 0.
    if isinstance(value, bool):
        raise PydanticCustomError("number_not_boolean", "must be a number, not true or false")
    return value


# Every numeric field of a body takes numbers only: `goal: true` is refused, never read as 1.
NotBoolean = BeforeValidator(_not_a_boolean)
Real = Annotated[float, NotBoolean]
Whole = Annotated[int, NotBoolean]
GameObjectType = Literal["leaderboard", "badge", "certificate", "leadScoring"]
Status = Literal["scheduled", "enabled", "disabled"]


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Pager(RequestModel):
    """Which page of a list to return."""

    pageSize: Whole = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    pageIndex: Whole = Field(1, ge=1, le=1_000_000)
    objectType: str | None = None


class ListFilter(RequestModel):
    """The standard filters every list action takes."""

    idIn: list[Id] | str | None = None
    createdAtGreaterThan: Time | None = None
    createdAtLessThan: Time | None = None
    updatedAtGreaterThan: Time | None = None
    updatedAtLessThan: Time | None = None
    orderBy: Annotated[str, StringConstraints(pattern=r"^[+-]?[A-Za-z]{1,64}$")] | None = None
    statusEqual: Annotated[str, StringConstraints(max_length=32)] | None = None
    objectType: str | None = None


class ListRequest(ListFilter):
    """A list action's body: the filters at the top level or under ``filter``, and a pager."""

    filter: ListFilter | None = None
    pager: Pager | None = None


class OwnedListFilter(ListFilter):
    """The standard filters plus the game object the listed items belong to (rules, schedules)."""

    gameObjectType: GameObjectType | None = None
    gameObjectId: Id | None = None


class OwnedListRequest(OwnedListFilter, ListRequest):
    """A list of items of game objects: its filters at the top level or under ``filter`` (top level wins)."""

    filter: OwnedListFilter | None = None


class PolicyOverride(RequestModel):
    """One participation rule: users matching the criteria get the policy."""

    policy: Literal["display", "do_not_display", "do_not_save"]
    matchCriteria: Literal["byGroup", "byEmailDomain"]
    values: list[Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)]] = Field(
        max_length=MAX_LIST
    )


class ParticipationPolicy(RequestModel):
    """Who takes part in a game object and who is shown (guide section 5)."""

    userDefaultPolicy: Literal["display", "do_not_display", "do_not_save"] = "display"
    policies: list[PolicyOverride] = Field(default_factory=list, max_length=MAX_LIST)


class IdRequest(RequestModel):
    """A body naming one object."""

    id: Id


def update_model(create: type[BaseModel], name: str) -> type[RequestModel]:
    """The update body of a controller: ``id`` plus every create field, all optional (null clears)."""
    fields: dict[str, Any] = {"id": (Id, ...)}
    for field_name, info in create.model_fields.items():
        annotation: Any = info.annotation
        if info.metadata:
            # Constraints (max_length, validators) belong to the value's type, not to the null that clears it.
            annotation = Annotated[(annotation, *info.metadata)]
        fields[field_name] = (annotation | None, Field(None, description=info.description))
    model: type[RequestModel] = create_model(name, __base__=RequestModel, **fields)
    return model


def required_fields(create: type[BaseModel]) -> frozenset[str]:
    """The fields a create body must carry (and an update may not clear)."""
    return frozenset(name for name, info in create.model_fields.items() if info.is_required())


def given_fields(body: Any) -> dict[str, Any]:
    """The fields a body carries explicitly (null included): what an update changes."""
    assert isinstance(body, BaseModel)
    return body.model_dump(exclude_unset=True)


def present_fields(body: Any) -> dict[str, Any]:
    """The fields of a create body with their defaults, leaving out the ones that are null."""
    assert isinstance(body, BaseModel)
    return body.model_dump(exclude_none=True)
