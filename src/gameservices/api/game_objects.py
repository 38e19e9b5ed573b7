"""The routes the four game-object controllers share: create, get, update, delete, clone and list."""

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from gameservices.api.deps import Api, ReadApi, WriteApi
from gameservices.api.listing import list_query, list_response
from gameservices.api.replay import add_rebuild_route
from gameservices.api.responses import DeleteResult, ErrorStatuses, ListResult, ObjectResult
from gameservices.api.schemas.common import (
    MAX_NAME,
    IdRequest,
    ListFilter,
    ListRequest,
    VirtualEventIds,
    given_fields,
    present_fields,
)
from gameservices.domain.listing import ListQuery
from gameservices.services.catalog import game_objects as service
from gameservices.services.catalog.game_objects import GameObjectKind

# Checks a request's fields against the world outside (raises the service's errors).
Precheck = Callable[[Api, dict[str, Any]], None]


class GameObjectFilter(ListFilter):
    """A game-object list's filters: the standard ones, the virtual events and (certificates) the external id."""

    # The ids as the entities hold them (int or str, like `virtualEventIds`), or a comma-separated text.
    virtualEventIdIn: VirtualEventIds | str | None = Field(None)
    externalIdEqual: Annotated[str, StringConstraints(max_length=MAX_NAME)] | None = None


class GameObjectList(GameObjectFilter, ListRequest):
    """A game-object list's body: the filters at the top level or under ``filter`` (top level wins), a pager."""

    filter: GameObjectFilter | None = None


def game_object_router(
    controller: str,
    kind: GameObjectKind,
    create_model: type[BaseModel],
    update_model: type[BaseModel],
    precheck: Precheck | None = None,
) -> APIRouter:
    """The router of one game-object controller.

    ``precheck`` checks the fields a request gives against the world outside (a certificate's background URL),
    before the transaction opens, so no lock is held while it waits.
    """

    def check(api: Api, fields: dict[str, Any]) -> dict[str, Any]:
        if precheck is not None:
            precheck(api, fields)
        return fields

    router = APIRouter(prefix=f"/{controller}", tags=[controller], responses=ErrorStatuses)

    @router.post("/create", response_model=None, responses={200: {"model": ObjectResult}})
    def create(body: create_model, api: WriteApi) -> dict[str, Any]:  # type: ignore[valid-type]
        fields = check(api, present_fields(body))
        with api.write() as conn:
            record = service.create(conn, partner_id=api.partner_id, kind=kind, fields=fields)
            return service.view(conn, record, kind)

    @router.post("/get", response_model=None, responses={200: {"model": ObjectResult}})
    def get(body: IdRequest, api: ReadApi) -> dict[str, Any]:
        with api.read() as conn:
            return service.view(
                conn, service.get(conn, partner_id=api.partner_id, kind=kind, object_id=body.id), kind
            )

    @router.post("/update", response_model=None, responses={200: {"model": ObjectResult}})
    def update(body: update_model, api: WriteApi) -> dict[str, Any]:  # type: ignore[valid-type]
        changes = check(api, given_fields(body))
        with api.write() as conn:
            return service.view(
                conn, service.update(conn, partner_id=api.partner_id, kind=kind, changes=changes), kind
            )

    @router.post("/delete", response_model=None, responses={200: {"model": DeleteResult}})
    def delete(body: IdRequest, api: WriteApi) -> dict[str, Any]:
        with api.write() as conn:
            return service.delete(conn, partner_id=api.partner_id, kind=kind, object_id=body.id)

    @router.post("/clone", response_model=None, responses={200: {"model": ObjectResult}})
    def clone(body: IdRequest, api: WriteApi) -> dict[str, Any]:
        with api.write() as conn:
            return service.view(
                conn, service.clone(conn, partner_id=api.partner_id, kind=kind, object_id=body.id), kind
            )

    @router.post("/list", response_model=None, responses={200: {"model": ListResult}})
    def list_(body: GameObjectList, api: ReadApi) -> dict[str, Any]:
        query = _list_query(body)
        with api.read() as conn:
            total, records = service.list_page(conn, partner_id=api.partner_id, kind=kind, query=query)
            return list_response(total, [service.view(conn, record, kind) for record in records])

    add_rebuild_route(router, kind)
    return router


def _list_query(body: GameObjectList) -> ListQuery:
    inner = body.filter or GameObjectFilter()
    wanted = body.virtualEventIdIn if body.virtualEventIdIn is not None else inner.virtualEventIdIn
    if isinstance(wanted, str):
        wanted = [part.strip() for part in wanted.split(",") if part.strip()]
    query = list_query(body, virtual_event_ids=None if wanted is None else frozenset(wanted))
    external_id = body.externalIdEqual if body.externalIdEqual is not None else inner.externalIdEqual
    if external_id is None:
        return query
    return replace(query, data_equals={"externalId": external_id})
