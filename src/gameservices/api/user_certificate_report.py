"""The ``userCertificateReport`` controller."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gameservices.api.deps import ReadApi
from gameservices.api.paging import page_bounds
from gameservices.api.responses import ErrorStatuses, ListResult
from gameservices.api.schemas.common import IdRequest
from gameservices.api.schemas.user_score import UserCertificateReportList
from gameservices.api.targets import target_of
from gameservices.api.user_certificate_credentials import add_links, issued_credentials, with_verify_url
from gameservices.services.certificates import certificate_document as document_service
from gameservices.services.reports import user_certificates as service

router = APIRouter(prefix="/userCertificateReport", tags=["userCertificateReport"], responses=ErrorStatuses)


@router.post("/list", response_model=None, responses={200: {"model": ListResult}})
def list_(body: UserCertificateReportList, api: ReadApi) -> dict[str, Any]:
    """Each user's certificate (per entry for perEntry certificates)."""
    offset, size = page_bounds(body.pager)
    # Its progress is read from the buckets' table, brought up to every answered write first.
    with api.read_tables() as conn:
        record = target_of(conn, api, body, only=("userCertificateReport/list", "certificate"))
        result = service.list_page(
            conn,
            partner_id=api.partner_id,
            record=record,
            user_id=body.userId,
            entry_id=body.entryId,
            status=body.status,
            offset=offset,
            limit=size,
        )
        issued = issued_credentials(conn, api, result["objects"])
    add_links(api, result["objects"], issued)
    return result


@router.post(
    "/serveCertificate",
    response_model=None,
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The certificate as a PDF"}},
)
def serve_certificate(body: IdRequest, api: ReadApi) -> Response:
    """The user's certificate as a PDF."""
    with api.read() as conn:
        document = document_service.document_of(conn, partner_id=api.partner_id, record_id=body.id)
    document = with_verify_url(api, document, body.id)
    pdf = document_service.render(document, loader=api.backgrounds)
    disposition = f'inline; filename="{document.file_name}"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})
