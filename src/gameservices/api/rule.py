"""The ``rule`` controller."""

from typing import Any

from fastapi import APIRouter

from gameservices.api.deps import ReadApi, WriteApi
from gameservices.api.listing import given_filter, list_query, list_response
from gameservices.api.replay import add_simulate_route
from gameservices.api.responses import DeleteResult, ErrorStatuses, ListResult, ObjectResult
from gameservices.api.schemas.common import IdRequest, given_fields, present_fields, required_fields
from gameservices.api.schemas.rule import RuleCreate, RuleList, RuleUpdate
from gameservices.services.catalog import rule as service

router = APIRouter(prefix="/rule", tags=["rule"], responses=ErrorStatuses)
_REQUIRED = required_fields(RuleCreate)
add_simulate_route(router)


@router.post("/create", response_model=None, responses={200: {"model": ObjectResult}})
def create(body: RuleCreate, api: WriteApi) -> dict[str, Any]:
    """Add a rule to a game object."""
    with api.write() as conn:
        return service.view(service.create(conn, partner_id=api.partner_id, fields=present_fields(body)))


@router.post("/get", response_model=None, responses={200: {"model": ObjectResult}})
def get(body: IdRequest, api: ReadApi) -> dict[str, Any]:
    """One rule."""
    with api.read() as conn:
        return service.view(service.get(conn, partner_id=api.partner_id, rule_id=body.id))


@router.post("/update", response_model=None, responses={200: {"model": ObjectResult}})
def update(body: RuleUpdate, api: WriteApi) -> dict[str, Any]:  # type: ignore[valid-type]
    """Change some fields of a rule."""
    with api.write() as conn:
        changes = given_fields(body)
        return service.view(
            service.update(conn, partner_id=api.partner_id, changes=changes, required=_REQUIRED)
        )


@router.post("/delete", response_model=None, responses={200: {"model": DeleteResult}})
def delete(body: IdRequest, api: WriteApi) -> dict[str, Any]:
    """Remove a rule."""
    with api.write() as conn:
        return service.delete(conn, partner_id=api.partner_id, rule_id=body.id)


@router.post("/list", response_model=None, responses={200: {"model": ListResult}})
def list_(body: RuleList, api: ReadApi) -> dict[str, Any]:
    """The rules matching the filters, e.g. of one game object."""
    equals = {name: given_filter(body, name) for name in ("gameObjectType", "gameObjectId")}
    query = list_query(body, equals=equals)
    with api.read() as conn:
        total, records = service.list_page(conn, partner_id=api.partner_id, query=query)
        return list_response(total, [service.view(record) for record in records])
