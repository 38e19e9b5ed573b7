"""The routes the four game-object controllers share: create, get, update, delete, clone and list."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gameservices.api.deps import Api, ReadApi, WriteApi
from gameservices.api.listing import list_query, list_response
from gameservices.api.responses import DeleteResult, ErrorStatuses, ListResult, ObjectResult
from gameservices.api.schemas.common import Id, IdRequest, ListRequest, given_fields, present_fields
from gameservices.services import game_objects as service
from gameservices.services.game_objects import GameObjectKind

# Checks a request's fields against the world outside (raises the service's errors).
Precheck = Callable[[Api, dict[str, Any]], None]


class GameObjectList(ListRequest):
    """A game-object list: the standard filters plus the virtual events."""

    virtualEventIdIn: list[Id] | str | None = Field(None)


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
        wanted = body.virtualEventIdIn
        if isinstance(wanted, str):
            wanted = [part.strip() for part in wanted.split(",") if part.strip()]
        query = list_query(body, virtual_event_ids=None if wanted is None else frozenset(wanted))
        with api.read() as conn:
            total, records = service.list_page(conn, partner_id=api.partner_id, kind=kind, query=query)
            return list_response(total, [service.view(conn, record, kind) for record in records])

    return router
