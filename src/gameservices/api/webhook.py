"""The ``webhook`` controller: endpoints that receive the partner's changes, signed (docs/webhooks.md)."""

from typing import Any

from fastapi import APIRouter, Request

from gameservices.api.deps import ReadApi, WriteApi
from gameservices.api.listing import list_response
from gameservices.api.paging import page_bounds
from gameservices.api.responses import DeleteResult, ErrorStatuses, ListResult, ObjectResult
from gameservices.api.schemas.common import IdRequest
from gameservices.api.schemas.webhook import WebhookCreate, WebhookList, WebhookUpdate
from gameservices.domain.timefmt import now_ms
from gameservices.services.push import webhook as service
from gameservices.services.push import webhook_delivery
from gameservices.webhooks.targets import TargetPolicy

router = APIRouter(prefix="/webhook", tags=["webhook"], responses=ErrorStatuses)


def _targets(request: Request) -> TargetPolicy:
    policy: TargetPolicy = request.app.state.webhook_targets
    return policy


@router.post("/create", response_model=None, responses={200: {"model": ObjectResult}})
def create(body: WebhookCreate, api: WriteApi, request: Request) -> dict[str, Any]:
    """A new webhook; the answer holds its signing secret (shown here and by rotateSecret only)."""
    with api.write_aside() as conn:
        record = service.create(
            conn,
            partner_id=api.partner_id,
            fields=body.webhook_input(),
            targets=_targets(request),
            now_ms=now_ms(),
        )
    return service.view(record, with_secret=True)


@router.post("/get", response_model=None, responses={200: {"model": ObjectResult}})
def get(body: IdRequest, api: ReadApi) -> dict[str, Any]:
    """One webhook (without its secret)."""
    with api.read() as conn:
        return service.view(service.get(conn, partner_id=api.partner_id, webhook_id=body.id))


@router.post("/list", response_model=None, responses={200: {"model": ListResult}})
def list_(body: WebhookList, api: ReadApi) -> dict[str, Any]:
    """The partner's webhooks, newest first."""
    offset, size = page_bounds(body.pager)
    with api.read() as conn:
        total, records = service.list_page(
            conn, partner_id=api.partner_id, status=body.statusEqual, offset=offset, limit=size
        )
    return list_response(total, [service.view(record) for record in records])


@router.post("/update", response_model=None, responses={200: {"model": ObjectResult}})
def update(body: WebhookUpdate, api: WriteApi, request: Request) -> dict[str, Any]:
    """Change a webhook's URL, filters, description or status."""
    with api.write_aside() as conn:
        record = service.update(
            conn,
            partner_id=api.partner_id,
            webhook_id=body.id,
            fields=body.webhook_input(),
            targets=_targets(request),
            now_ms=now_ms(),
        )
    return service.view(record)


@router.post("/delete", response_model=None, responses={200: {"model": DeleteResult}})
def delete(body: IdRequest, api: WriteApi) -> dict[str, Any]:
    """Delete a webhook and its deliveries."""
    with api.write_aside() as conn:
        return service.delete(conn, partner_id=api.partner_id, webhook_id=body.id)


@router.post("/rotateSecret", response_model=None, responses={200: {"model": ObjectResult}})
def rotate_secret(body: IdRequest, api: WriteApi) -> dict[str, Any]:
    """A new signing secret; the previous one also signs for 24 hours."""
    with api.write_aside() as conn:
        record = service.rotate_secret(conn, partner_id=api.partner_id, webhook_id=body.id, now_ms=now_ms())
    return service.view(record, with_secret=True)


@router.post("/test", response_model=None, responses={200: {"model": ObjectResult}})
def test(body: IdRequest, api: WriteApi) -> dict[str, Any]:
    """Queue a ``webhook.test`` message to the webhook; the answer is its delivery."""
    with api.write_aside() as conn:
        delivery = service.test(conn, partner_id=api.partner_id, webhook_id=body.id, now_ms=now_ms())
    return webhook_delivery.view(delivery)
