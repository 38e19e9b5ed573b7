"""Bodies of the ``entry`` controller (docs/player-analytics.md)."""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from gameservices.api.schemas.common import MAX_LIST, Name, Pager, Real, RequestModel, Time
from gameservices.domain.ids import NO_CONTROL_CHARACTERS, has_control_characters


def _without_control_characters(value: str) -> str:
    if has_control_characters(value):
        raise PydanticCustomError("control_characters", NO_CONTROL_CHARACTERS)
    return value


# Trimmed, as a beacon's entry id is read (domain/beacons.py): an entry saved as "0_e " is the one beacons of
# "0_e" name, and an id of spaces alone names none. A control character is refused, as beacons refuse it.
EntryId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=256),
    AfterValidator(_without_control_characters),
]
# Categories and virtual event ids likewise: trimmed, and refused with a control character, as events refuse them.
CategoryId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_without_control_characters),
]
VirtualEventId = Annotated[
    str,
    BeforeValidator(
        lambda value: str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    ),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_without_control_characters),
]


def _categories(value: Any) -> Any:
    # As events carry them: a list of ids (numbers or text) or one comma-separated string.
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(item) if isinstance(item, int) and not isinstance(item, bool) else item for item in value]
    return value


Categories = Annotated[list[CategoryId], BeforeValidator(_categories), Field(max_length=MAX_LIST)]


def _comma_text(value: Any) -> Any:
    # A list of ids, or one comma-separated string of them (each checked as an id).
    if isinstance(value, str):
        return [part for part in value.split(",") if part.strip()]
    return value


EntryIds = Annotated[list[EntryId], BeforeValidator(_comma_text), Field(max_length=500)]


class EntryUpsert(RequestModel):
    """``entry/upsert``: create the entry or change the fields given (null clears one)."""

    objectType: Literal["Entry"] | None = None
    entryId: EntryId
    name: Name | None = None
    duration: Annotated[Real, Field(ge=0, le=10**9, allow_inf_nan=False)] | None = None
    categories: Categories | None = None
    virtualEventId: VirtualEventId | None = None


class EntryIdRequest(RequestModel):
    """A body naming one entry."""

    entryId: EntryId


class EntryListFilter(RequestModel):
    """The filters of ``entry/list``."""

    entryIdIn: EntryIds | None = None
    virtualEventIdEqual: VirtualEventId | None = None
    createdAtGreaterThan: Time | None = None
    createdAtLessThan: Time | None = None
    updatedAtGreaterThan: Time | None = None
    updatedAtLessThan: Time | None = None
    orderBy: (
        Literal["createdAt", "+createdAt", "-createdAt", "updatedAt", "+updatedAt", "-updatedAt"]
        | (Literal["entryId", "+entryId", "-entryId", "name", "+name", "-name"])
        | None
    ) = None
    objectType: str | None = None


class EntryList(EntryListFilter):
    """``entry/list``: the filters at the top level or under ``filter``, and a pager."""

    filter: EntryListFilter | None = None
    pager: Pager | None = None
