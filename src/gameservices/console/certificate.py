"""Certificate PDFs in the console: a user's issued certificate (as ``userCertificateReport/serveCertificate``
serves it, QR code included) and a preview of a certificate's template for a sample or chosen user. Both go
through the same document and rendering service as the API."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from gameservices.api.credentials_public import config_of
from gameservices.api.user_certificate_credentials import with_verify_url
from gameservices.console.session import Console, ConsoleRoute, ReadConsole
from gameservices.services.catalog import game_objects
from gameservices.services.catalog.certificate import CERTIFICATE
from gameservices.services.certificates import certificate_document
from gameservices.services.certificates.certificate_document import SAMPLE_PUBLIC_ID, CertificateDocument

router = APIRouter(prefix="/console/certificates", route_class=ConsoleRoute, include_in_schema=False)
MAX_USER_ID = 256


def _pdf(console: Console, document: CertificateDocument) -> Response:
    pdf = certificate_document.render(document, loader=console.backgrounds)
    disposition = f'inline; filename="{document.file_name}"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})


@router.get("/issued/{record_id}.pdf")
def issued_certificate_pdf(record_id: str, console: ReadConsole) -> Response:
    """A user's certificate as a PDF, exactly as ``userCertificateReport/serveCertificate`` answers it."""
    with console.read() as conn:
        document = certificate_document.document_of(conn, partner_id=console.partner_id, record_id=record_id)
    return _pdf(console, with_verify_url(console, document, record_id))


@router.get("/{object_id}/preview.pdf")
def certificate_preview(
    object_id: str,
    console: ReadConsole,
    user_id: Annotated[str, Query(alias="userId", max_length=MAX_USER_ID)] = "",
) -> Response:
    """The certificate's template rendered for a sample user, or for the chosen user's profile and progress.
    Nothing is issued: the QR code holds a sample verify URL."""
    today = datetime.now(UTC).date()
    with console.read() as conn:
        record = game_objects.get(conn, partner_id=console.partner_id, kind=CERTIFICATE, object_id=object_id)
        document = certificate_document.preview_of(
            conn, record=record, user_id=user_id.strip() or None, today=today
        )
    config = config_of(console.settings)
    if config is not None and document.verification:
        document = replace(document, verify_url=config.verify_url(SAMPLE_PUBLIC_ID))
    return _pdf(console, document)
