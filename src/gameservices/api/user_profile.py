"""The ``userProfile`` controller."""

from typing import Any

from fastapi import APIRouter

from gameservices.api.deps import ReadApi, WriteApi
from gameservices.api.listing import given_filter, list_query, list_response
from gameservices.api.responses import DeleteResult, ErrorStatuses, ListResult, ObjectResult
from gameservices.api.schemas.common import given_fields, present_fields
from gameservices.api.schemas.user_profile import (
    UserIdRequest,
    UserProfileCreate,
    UserProfileList,
    UserProfileUpdate,
)
from gameservices.services.profiles import user_profile as service

router = APIRouter(prefix="/userProfile", tags=["userProfile"], responses=ErrorStatuses)
_ORDER_FIELDS = frozenset({"createdAt", "updatedAt", "userId", "email"})


@router.post("/create", response_model=None, responses={200: {"model": ObjectResult}})
def create(body: UserProfileCreate, api: WriteApi) -> dict[str, Any]:
    """Store a new user profile."""
    with api.write() as conn:
        return service.view(
            service.create(
                conn,
                state=api.live.partner(api.partner_id),
                partner_id=api.partner_id,
                fields=present_fields(body),
            )
        )


@router.post("/upsert", response_model=None, responses={200: {"model": ObjectResult}})
def upsert(body: UserProfileCreate, api: WriteApi) -> dict[str, Any]:
    """Create a profile or change the fields given."""
    with api.write() as conn:
        return service.view(
            service.upsert(
                conn,
                state=api.live.partner(api.partner_id),
                partner_id=api.partner_id,
                fields=present_fields(body),
            )
        )


@router.post("/update", response_model=None, responses={200: {"model": ObjectResult}})
def update(body: UserProfileUpdate, api: WriteApi) -> dict[str, Any]:
    """Change the fields given of a profile."""
    with api.write() as conn:
        return service.view(
            service.update(
                conn,
                state=api.live.partner(api.partner_id),
                partner_id=api.partner_id,
                changes=given_fields(body),
            )
        )


@router.post("/get", response_model=None, responses={200: {"model": ObjectResult}})
def get(body: UserIdRequest, api: ReadApi) -> dict[str, Any]:
    """One user's profile."""
    with api.read() as conn:
        return service.view(service.get(conn, partner_id=api.partner_id, user_id=body.userId))


@router.post("/delete", response_model=None, responses={200: {"model": DeleteResult}})
def delete(body: UserIdRequest, api: WriteApi) -> dict[str, Any]:
    """Remove a user's profile."""
    with api.write() as conn:
        return service.delete(
            conn, state=api.live.partner(api.partner_id), partner_id=api.partner_id, user_id=body.userId
        )


@router.post("/list", response_model=None, responses={200: {"model": ListResult}})
def list_(body: UserProfileList, api: ReadApi) -> dict[str, Any]:
    """The profiles matching the filters."""
    query = list_query(
        body,
        order_fields=_ORDER_FIELDS,
        equals={"userId": given_filter(body, "userIdEqual")},
        has_status=False,
    )
    with api.read() as conn:
        total, records = service.list_page(conn, partner_id=api.partner_id, query=query)
        return list_response(total, [service.view(record) for record in records])
