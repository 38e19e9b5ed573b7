"""The ``displayLink`` controller: share links of a leaderboard's public big screen."""

from typing import Any

from fastapi import APIRouter, Request

from gameservices.api.deps import ReadApi, WriteApi
from gameservices.api.listing import list_response
from gameservices.api.paging import page_bounds
from gameservices.api.responses import DeleteResult, ErrorStatuses, ListResult, ObjectResult
from gameservices.api.schemas.common import IdRequest
from gameservices.api.schemas.display_link import DisplayLinkCreate, DisplayLinkList
from gameservices.domain.timefmt import now_ms
from gameservices.services.standings import display_link as service

router = APIRouter(prefix="/displayLink", tags=["displayLink"], responses=ErrorStatuses)


def _base_url(request: Request) -> str:
    return str(request.base_url)


@router.post("/create", response_model=None, responses={200: {"model": ObjectResult}})
def create(body: DisplayLinkCreate, api: WriteApi, request: Request) -> dict[str, Any]:
    """A new public link to a leaderboard's big screen."""
    with api.write_aside() as conn:
        link = service.create(conn, partner_id=api.partner_id, fields=body.link_input(), now_ms=now_ms())
    return service.view(link, base_url=_base_url(request))


@router.post("/get", response_model=None, responses={200: {"model": ObjectResult}})
def get(body: IdRequest, api: ReadApi, request: Request) -> dict[str, Any]:
    """One link."""
    with api.read() as conn:
        link = service.get(conn, partner_id=api.partner_id, link_id=body.id)
    return service.view(link, base_url=_base_url(request))


@router.post("/list", response_model=None, responses={200: {"model": ListResult}})
def list_(body: DisplayLinkList, api: ReadApi, request: Request) -> dict[str, Any]:
    """The partner's links, newest first."""
    offset, size = page_bounds(body.pager)
    with api.read() as conn:
        total, links = service.list_page(
            conn, partner_id=api.partner_id, game_object_id=body.gameObjectIdEqual, offset=offset, limit=size
        )
    return list_response(total, [service.view(link, base_url=_base_url(request)) for link in links])


@router.post("/delete", response_model=None, responses={200: {"model": DeleteResult}})
def delete(body: IdRequest, api: WriteApi) -> dict[str, Any]:
    """Revoke a link: its page answers 404 from now on."""
    with api.write_aside() as conn:
        return service.delete(conn, partner_id=api.partner_id, link_id=body.id)
