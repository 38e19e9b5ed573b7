"""A user's certificate as a PDF: the certificate's template filled with the user's name, entry, credits and date."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from gameservices.errors import Conflict, ValidationFailed
from gameservices.rendering.background import BackgroundLoader
from gameservices.rendering.pdf import CertificateValues, placements, qr_placement, render_certificate
from gameservices.services.profiles import user_profile as profile_service
from gameservices.services.reports.user_certificates import get as get_report
from gameservices.services.scoring.achievements import CERTIFIED
from gameservices.storage import achievements as achievement_repository
from gameservices.storage import entries as entry_repository
from gameservices.storage import game_objects as object_repository
from gameservices.storage import user_profiles as profile_repository
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord

# What a preview shows where no user is chosen, or the chosen one lacks the value.
SAMPLE_NAME = "Sample User"
SAMPLE_ENTRY = "Sample entry"
# Stands in for a credential's public id (22 characters, as issued) in a preview's QR code and verify URL.
SAMPLE_PUBLIC_ID = "sample-preview-0000000"


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


def preview_of(
    conn: Connection, *, record: GameObjectRecord, user_id: str | None, today: date
) -> CertificateDocument:
    """A certificate's template filled for a preview: with the chosen user's profile and, when the user holds
    this certificate, its entry, credits and date; sample values otherwise. Nothing is issued or stored."""
    configuration = record.data.get("outputFileConfiguration")
    if not configuration:
        raise ValidationFailed("outputFileConfiguration", "the certificate has no PDF template")
    shown: dict[str, Any] = {}
    held = None
    if user_id:
        profile = profile_repository.get_profile(conn, partner_id=record.partner_id, user_id=user_id)
        shown = profile_service.view(profile) if profile is not None else {}
        rows = achievement_repository.certificates_of(conn, record.partner_id, record.id)
        held = next((row for row in rows if row.user_id == user_id), None)
    entry_name = SAMPLE_ENTRY
    if held is not None and held.entry_id:
        names = entry_repository.entry_names(conn, record.partner_id, [held.entry_id])
        entry_name = names.get(held.entry_id) or held.entry_id
    certified_at = held.certified_at if held is not None else None
    values = CertificateValues(
        user_full_name=shown.get("fullName") or user_id or SAMPLE_NAME,
        entry_name=entry_name,
        credits=held.credits if held is not None else record.data.get("certifiedCreditsThreshold"),
        certification_date=today
        if certified_at is None
        else datetime.fromtimestamp(certified_at, UTC).date(),
        profile_data=shown.get("profileData") or {},
    )
    elements = list(configuration["outputFileElements"])
    return CertificateDocument(
        background_url=elements[0]["url"],
        elements=elements,
        values=values,
        title=record.name,
        file_name=f"certificate_{record.id}_preview.pdf",
        verification=record.data.get("verification") is not False,
    )
