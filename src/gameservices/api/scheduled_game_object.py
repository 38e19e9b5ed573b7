"""The ``scheduledGameObject`` controller."""

from typing import Any

from fastapi import APIRouter

from gameservices.api.deps import ReadApi, WriteApi
from gameservices.api.listing import STANDARD_ORDER_FIELDS, given_filter, list_query, list_response
from gameservices.api.responses import DeleteResult, ErrorStatuses, ListResult, ObjectResult
from gameservices.api.schemas.common import IdRequest
from gameservices.api.schemas.scheduled_game_object import (
    ScheduledGameObjectCreate,
    ScheduledGameObjectList,
    ScheduledGameObjectUpdate,
)
from gameservices.services.catalog import scheduled_game_object as service

router = APIRouter(prefix="/scheduledGameObject", tags=["scheduledGameObject"], responses=ErrorStatuses)
_ORDER_FIELDS = (STANDARD_ORDER_FIELDS - {"name"}) | {"scheduledDate"}


@router.post("/create", response_model=None, responses={200: {"model": ObjectResult}})
def create(body: ScheduledGameObjectCreate, api: WriteApi) -> dict[str, Any]:
    """Plan a status transition of a game object."""
    with api.write() as conn:
        return service.view(service.create(conn, partner_id=api.partner_id, fields=body.model_dump()))


@router.post("/get", response_model=None, responses={200: {"model": ObjectResult}})
def get(body: IdRequest, api: ReadApi) -> dict[str, Any]:
    """One planned transition."""
    with api.read() as conn:
        return service.view(service.get(conn, partner_id=api.partner_id, schedule_id=body.id))


@router.post("/update", response_model=None, responses={200: {"model": ObjectResult}})
def update(body: ScheduledGameObjectUpdate, api: WriteApi) -> dict[str, Any]:
    """Change the action or date of a pending transition."""
    with api.write() as conn:
        changes = body.model_dump(exclude_unset=True)
        return service.view(service.update(conn, partner_id=api.partner_id, changes=changes))


@router.post("/delete", response_model=None, responses={200: {"model": DeleteResult}})
def delete(body: IdRequest, api: WriteApi) -> dict[str, Any]:
    """Cancel a pending transition."""
    with api.write() as conn:
        return service.delete(conn, partner_id=api.partner_id, schedule_id=body.id)


@router.post("/list", response_model=None, responses={200: {"model": ListResult}})
def list_(body: ScheduledGameObjectList, api: ReadApi) -> dict[str, Any]:
    """The planned transitions matching the filters."""
    equals = {name: given_filter(body, name) for name in ("gameObjectType", "gameObjectId")}
    query = list_query(body, order_fields=_ORDER_FIELDS, equals=equals)
    with api.read() as conn:
        total, records = service.list_page(conn, partner_id=api.partner_id, query=query)
        return list_response(total, [service.view(record) for record in records])
