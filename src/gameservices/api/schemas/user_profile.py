"""Bodies of the ``userProfile`` controller (DESIGN.md section 2)."""

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from gameservices.api.schemas.common import MAX_LIST, MAX_NAME, ListFilter, ListRequest, Name, RequestModel

UserId = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Email = Annotated[str, StringConstraints(max_length=320)]


class UserProfileFields(RequestModel):
    """The fields of a profile other than the user id."""

    objectType: Literal["UserProfile"] | None = None
    email: Email | None = None
    firstName: Name | None = None
    lastName: Name | None = None
    fullName: Name | None = None
    groups: list[Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)]] | None = Field(
        None, max_length=MAX_LIST
    )
    profileData: dict[str, Any] | None = None


class UserProfileCreate(UserProfileFields):
    """``userProfile/create`` and ``userProfile/upsert``."""

    userId: UserId


class UserProfileUpdate(UserProfileFields):
    """``userProfile/update``: only the fields given change (null clears)."""

    userId: UserId


class UserIdRequest(RequestModel):
    """A body naming one user."""

    userId: UserId


class UserProfileFilter(ListFilter):
    """The standard filters plus a user id."""

    userIdEqual: UserId | None = None


class UserProfileList(UserProfileFilter, ListRequest):
    """``userProfile/list``: its filters at the top level or under ``filter`` (top level wins), a pager."""

    filter: UserProfileFilter | None = None
