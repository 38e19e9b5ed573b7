"""A user's certificate as a PDF: the certificate's template filled with the user's name, entry, credits and date."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gameservices.errors import Conflict, ValidationFailed
from gameservices.rendering.background import BackgroundLoader
from gameservices.rendering.pdf import CertificateValues, placements, qr_placement, render_certificate
from gameservices.services import user_profile as profile_service
from gameservices.services.achievements import CERTIFIED
from gameservices.services.user_certificate_report import get as get_report
from gameservices.storage import entries as entry_repository
from gameservices.storage import game_objects as object_repository
from gameservices.storage import user_profiles as profile_repository
from gameservices.storage.database import Connection


@dataclass(frozen=True)
class CertificateDocument:
    """What a certificate PDF is made of, read in one transaction; rendering happens after it."""

    background_url: str
    elements: list[dict[str, Any]]
    values: CertificateValues
    title: str
    file_name: str
    # Verifiable certificates: whether the PDF carries a QR code, and the verify URL it holds once known.
    verification: bool = True
    verify_url: str | None = None


def document_of(conn: Connection, *, partner_id: int, record_id: str) -> CertificateDocument:
    """Gather a certified user's certificate; 404 for an unknown id, 409 when not certified yet."""
    report = get_report(conn, partner_id=partner_id, record_id=record_id)
    if report.status != CERTIFIED or report.certified_at is None:
        raise Conflict("The user is not certified yet", code="NOT_CERTIFIED", args={"ID": record_id})
    certificate = object_repository.get_game_object(
        conn, partner_id=partner_id, object_id=report.certificate_id
    )
    configuration = certificate.data.get("outputFileConfiguration") if certificate is not None else None
    if certificate is None or not configuration:
        raise ValidationFailed("outputFileConfiguration", "the certificate has no PDF template")
    profile = profile_repository.get_profile(conn, partner_id=partner_id, user_id=report.user_id)
    shown = profile_service.view(profile) if profile is not None else {}
    entry_name = ""
    if report.entry_id:
        entry_name = (
            entry_repository.entry_names(conn, partner_id, [report.entry_id]).get(report.entry_id) or ""
        )
    values = CertificateValues(
        user_full_name=shown.get("fullName") or report.user_id,
        entry_name=entry_name,
        credits=report.credits,
        certification_date=datetime.fromtimestamp(report.certified_at, UTC).date(),
        profile_data=shown.get("profileData") or {},
    )
    elements = list(configuration["outputFileElements"])
    return CertificateDocument(
        background_url=elements[0]["url"],
        elements=elements,
        values=values,
        title=certificate.name,
        file_name=f"certificate_{report.id}.pdf",
        verification=certificate.data.get("verification") is not False,
    )


def render(document: CertificateDocument, *, loader: BackgroundLoader) -> bytes:
    """The PDF of a gathered certificate (fetches the background through the loader's cache)."""
    background = loader.load(document.background_url)
    qr = None
    if document.verification and document.verify_url:
        qr = qr_placement(document.elements, document.verify_url)
    return render_certificate(
        background, placements(document.elements, document.values), title=document.title, qr=qr
    )
