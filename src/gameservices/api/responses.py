"""Response models for the OpenAPI document (handlers return plain dicts; these describe them)."""

from typing import Any

from pydantic import BaseModel, ConfigDict

from gameservices.api.errors import ErrorBody


class ObjectResult(BaseModel):
    """Any stored object: its own fields plus the ones every object carries."""

    model_config = ConfigDict(extra="allow")

    id: str
    objectType: str
    partnerId: int
    createdAt: str
    updatedAt: str


class ListResult(BaseModel):
    """A page of a list."""

    totalCount: int
    objects: list[dict[str, Any]]


class DeleteResult(BaseModel):
    """The answer to a delete."""

    id: str
    deleted: bool


ErrorStatuses: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Bad input"),
        (401, "Missing, invalid or expired KS"),
        (403, "The KS lacks the permission, or the partner lacks game services"),
        (404, "Unknown object"),
        (409, "Conflict"),
        (413, "Request too large"),
        (429, "Too many requests"),
    )
}
