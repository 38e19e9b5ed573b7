"""The ``userLeadScoring`` controller."""

from typing import Any

from fastapi import APIRouter

from gameservices.api.deps import ReadApi
from gameservices.api.paging import page_bounds
from gameservices.api.responses import ErrorStatuses, ListResult
from gameservices.api.schemas.user_score import UserLeadScoringList
from gameservices.api.targets import target_of
from gameservices.services.standings import user_lead_scoring as service

router = APIRouter(prefix="/userLeadScoring", tags=["userLeadScoring"], responses=ErrorStatuses)


@router.post("/list", response_model=None, responses={200: {"model": ListResult}})
def list_(body: UserLeadScoringList, api: ReadApi) -> dict[str, Any]:
    """Ranked leads with their score group, percentage group and percentile."""
    offset, size = page_bounds(body.pager)
    with api.read_tables() as conn:
        record = target_of(conn, api, body, only=("userLeadScoring/list", "leadScoring"))
        return service.list_page(
            conn,
            live=api.live,
            partner_id=api.partner_id,
            record=record,
            user_id=body.userIdEqual,
            offset=offset,
            limit=size,
        )
