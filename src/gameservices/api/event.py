"""The ``event`` controller."""

import time

from fastapi import APIRouter

from gameservices.api.deps import WriteApi
from gameservices.api.responses import ErrorStatuses
from gameservices.api.schemas.event import EventSend, EventSendResult
from gameservices.services import event as service

router = APIRouter(prefix="/event", tags=["event"], responses=ErrorStatuses)


@router.post("/send", response_model=None, responses={200: {"model": EventSendResult}})
def send(body: EventSend, api: WriteApi) -> dict[str, object]:
    """Apply analytics events; when this returns, their effects are durable and visible to every read."""
    received_at = time.time()
    with api.write() as conn:
        state = api.live.partner(api.partner_id)
        result = service.send(
            conn, state=state, partner_id=api.partner_id, raw_events=body.events, received_at=received_at
        )
    return result.as_dict()
