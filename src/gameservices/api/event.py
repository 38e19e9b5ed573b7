"""The ``event`` controller."""

import time
from collections.abc import Sequence

from fastapi import APIRouter

from gameservices.api.deps import WriteApi
from gameservices.api.json import JsonResponse
from gameservices.api.responses import ErrorStatuses
from gameservices.api.schemas.event import EventSend, EventSendResult
from gameservices.projection.state import PartnerState
from gameservices.services.scoring import event as service
from gameservices.storage.database import write_transaction

router = APIRouter(prefix="/event", tags=["event"], responses=ErrorStatuses)

Call = tuple[Sequence[object], float]


@router.post("/send", response_model=None, responses={200: {"model": EventSendResult}})
def send(body: EventSend, api: WriteApi) -> JsonResponse:
    """Apply analytics events; when this returns, their effects are durable and visible to every read.

    Concurrent calls of one partner are committed together (group commit): the call that finds no group
    running takes every call waiting and applies them in arrival order in one transaction, so one durable
    commit serves them all; each call still answers only after its own events are committed.
    """
    partner_id = api.partner_id

    def run(state: PartnerState, calls: list[Call]) -> list[service.SendResult]:
        with write_transaction(api.engine) as conn:
            return service.send_calls(conn, state=state, partner_id=partner_id, calls=calls)

    call: Call = (body.events, time.time())
    result = api.live.grouped(partner_id, call, run)
    return JsonResponse(result.as_dict())
