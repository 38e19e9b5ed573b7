"""The ``userCertificateReport`` controller: each user's certificate (per entry for perEntry certificates)."""

from typing import Any

from gameservices.domain.timefmt import format_ms
from gameservices.errors import ObjectNotFound
from gameservices.services.user_score import number
from gameservices.storage import achievements as repository
from gameservices.storage import engine_state as state_repository
from gameservices.storage.achievements import CertificateRecord
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord


def view(record: CertificateRecord, entry_name: str | None) -> dict[str, Any]:
    """The API form of a user certificate."""
    return {
        "id": record.id,
        "objectType": "UserCertificateReport",
        "gameObjectId": record.certificate_id,
        "userId": record.user_id,
        "entryId": record.entry_id or None,
        "entryName": entry_name,
        "status": record.status,
        "credits": number(record.credits),
        "rulesData": [{"id": item["id"], "score": number(item["score"])} for item in record.rules_data],
        "certificationDate": None
        if record.certified_at is None
        else format_ms(round(record.certified_at * 1000)),
    }


def list_page(
    conn: Connection,
    *,
    partner_id: int,
    record: GameObjectRecord,
    user_id: str | None,
    entry_id: str | None,
    status: str | None,
    offset: int,
    limit: int,
) -> dict[str, Any]:
    """The certificate's users (and entries) matching the filters, by user then entry."""
    rows = [
        row
        for row in repository.certificates_of(conn, partner_id, record.id)
        if (user_id is None or row.user_id == user_id)
        and (entry_id is None or row.entry_id == entry_id)
        and (status is None or row.status == status)
    ]
    page = rows[offset : offset + limit]
    names = state_repository.entry_names(
        conn, partner_id, sorted({row.entry_id for row in page if row.entry_id})
    )
    return {"totalCount": len(rows), "objects": [view(row, names.get(row.entry_id)) for row in page]}


def get(conn: Connection, *, partner_id: int, record_id: str) -> CertificateRecord:
    """One user certificate, or 404."""
    found = repository.certificate_by_id(conn, partner_id, record_id)
    if found is None:
        raise ObjectNotFound(record_id, "UserCertificateReport")
    return found
