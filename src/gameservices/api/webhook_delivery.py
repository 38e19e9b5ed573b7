"""The ``webhookDelivery`` controller: deliveries to the partner's webhooks, and manual retries of failed ones."""

from typing import Any

from fastapi import APIRouter

from gameservices.api.deps import ReadApi, WriteApi
from gameservices.api.listing import list_response
from gameservices.api.paging import page_bounds
from gameservices.api.responses import ErrorStatuses, ListResult, ObjectResult
from gameservices.api.schemas.common import IdRequest
from gameservices.api.schemas.webhook import WebhookDeliveryList
from gameservices.domain.timefmt import now_ms
from gameservices.services.push import webhook_delivery as service

router = APIRouter(prefix="/webhookDelivery", tags=["webhookDelivery"], responses=ErrorStatuses)


@router.post("/list", response_model=None, responses={200: {"model": ListResult}})
def list_(body: WebhookDeliveryList, api: ReadApi) -> dict[str, Any]:
    """The partner's deliveries, newest first."""
    offset, size = page_bounds(body.pager)
    with api.read() as conn:
        total, records = service.list_page(
            conn,
            partner_id=api.partner_id,
            webhook_id=body.webhookId,
            status=body.status,
            offset=offset,
            limit=size,
        )
    return list_response(total, [service.view(record) for record in records])


@router.post("/retry", response_model=None, responses={200: {"model": ObjectResult}})
def retry(body: IdRequest, api: WriteApi) -> dict[str, Any]:
    """Queue a failed delivery for another attempt now."""
    with api.write_aside() as conn:
        record = service.retry(conn, partner_id=api.partner_id, delivery_id=body.id, now_ms=now_ms())
    return service.view(record)
