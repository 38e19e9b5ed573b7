"""The ``userCertificateReport`` controller."""

from typing import Any

from fastapi import APIRouter

from gameservices.api.deps import ReadApi
from gameservices.api.paging import page_bounds
from gameservices.api.responses import ErrorStatuses, ListResult
from gameservices.api.schemas.user_score import UserCertificateReportList
from gameservices.api.targets import target_of
from gameservices.services import user_certificate_report as service

router = APIRouter(prefix="/userCertificateReport", tags=["userCertificateReport"], responses=ErrorStatuses)


@router.post("/list", response_model=None, responses={200: {"model": ListResult}})
def list_(body: UserCertificateReportList, api: ReadApi) -> dict[str, Any]:
    """Each user's certificate (per entry for perEntry certificates)."""
    offset, size = page_bounds(body.pager)
    with api.read() as conn:
        record = target_of(conn, api, body)
        return service.list_page(
            conn,
            partner_id=api.partner_id,
            record=record,
            user_id=body.userId,
            entry_id=body.entryId,
            status=body.status,
            offset=offset,
            limit=size,
        )
