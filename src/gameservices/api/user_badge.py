"""The ``userBadge`` controller."""

from typing import Any

from fastapi import APIRouter

from gameservices.api.deps import ReadApi
from gameservices.api.paging import page_bounds
from gameservices.api.responses import ErrorStatuses, ListResult
from gameservices.api.schemas.user_score import UserBadgeList
from gameservices.api.targets import target_of
from gameservices.services.standings import user_badge as service

router = APIRouter(prefix="/userBadge", tags=["userBadge"], responses=ErrorStatuses)


@router.post("/list", response_model=None, responses={200: {"model": ListResult}})
def list_(body: UserBadgeList, api: ReadApi) -> dict[str, Any]:
    """Each user's progress on the badge's rules, and whether they achieved it."""
    offset, size = page_bounds(body.pager)
    with api.read_tables() as conn:
        record = target_of(conn, api, body, only=("userBadge/list", "badge"))
        return service.list_page(
            conn,
            partner_id=api.partner_id,
            record=record,
            user_id=body.userIdEqual,
            status=body.statusEqual,
            offset=offset,
            limit=size,
        )
