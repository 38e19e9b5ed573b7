"""Repository of achievements: badges users achieved and the certificates (per user, or per user and entry)."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select

from gameservices.storage.schema import user_badges, user_certificates
from gameservices.storage.upsert import upsert

# Users looked up by key per statement.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    """A user's certificate (per entry for perEntry certificates; entry_id "" otherwise)."""

    id: str
    certificate_id: str
    user_id: str
    entry_id: str
    status: str
    credits: float
    rules_data: list[dict[str, Any]]
    certified_at: float | None
    updated_at: float


def achieved_badges(conn: Connection, partner_id: int, badge_id: str) -> dict[str, float]:
    """The users who achieved a badge, with when."""
    statement = select(user_badges.c.user_id, user_badges.c.achieved_at).where(
        (user_badges.c.partner_id == partner_id) & (user_badges.c.badge_id == badge_id)
    )
    return {row.user_id: row.achieved_at for row in conn.execute(statement)}


def achieved_among(
    conn: Connection, partner_id: int, badge_id: str, user_ids: Iterable[str]
) -> dict[str, float]:
    """Which of these users achieved a badge, with when (read by key, a chunk of users at a time)."""
    wanted = sorted(set(user_ids))
    found: dict[str, float] = {}
    for start in range(0, len(wanted), _CHUNK):
        statement = select(user_badges.c.user_id, user_badges.c.achieved_at).where(
            (user_badges.c.partner_id == partner_id)
            & (user_badges.c.badge_id == badge_id)
            & user_badges.c.user_id.in_(wanted[start : start + _CHUNK])
        )
        found.update({row.user_id: row.achieved_at for row in conn.execute(statement)})
    return found


def all_badges(conn: Connection, partner_id: int) -> dict[tuple[str, str], float]:
    """Every badge the partner's users achieved: (badge id, user id) -> when."""
    statement = select(user_badges.c.badge_id, user_badges.c.user_id, user_badges.c.achieved_at).where(
        user_badges.c.partner_id == partner_id
    )
    return {(str(badge), str(user)): float(at) for badge, user, at in conn.execute(statement)}


def record_badges(conn: Connection, partner_id: int, achieved: Iterable[tuple[str, str, float]]) -> None:
    """Record (badge id, user id, time) achievements; an achievement already recorded stays as it was."""
    rows = [
        {"partner_id": partner_id, "badge_id": badge_id, "user_id": user_id, "achieved_at": at}
        for badge_id, user_id, at in achieved
    ]
    upsert(conn, user_badges, rows, keys=("partner_id", "badge_id", "user_id"), set_=None)


def certificates_of(conn: Connection, partner_id: int, certificate_id: str) -> list[CertificateRecord]:
    """Every user certificate of a certificate definition, by user then entry."""
    statement = (
        select(user_certificates)
        .where(
            (user_certificates.c.partner_id == partner_id)
            & (user_certificates.c.certificate_id == certificate_id)
        )
        .order_by(user_certificates.c.user_id, user_certificates.c.entry_id)
    )
    return [_certificate(row._mapping) for row in conn.execute(statement)]


def certificates_page(
    conn: Connection,
    partner_id: int,
    certificate_id: str,
    *,
    user_id: str | None,
    entry_id: str | None,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[int, list[CertificateRecord]]:
    """How many user certificates of a certificate definition match the filters (None: any), and those of one
    page of them, by user then entry as `certificates_of` gives them all."""
    if "\0" in (user_id or "") + (entry_id or ""):
        return 0, []  # no stored id holds one (events refuse control characters; PostgreSQL text cannot)
    condition = (user_certificates.c.partner_id == partner_id) & (
        user_certificates.c.certificate_id == certificate_id
    )
    for column, value in (
        (user_certificates.c.user_id, user_id),
        (user_certificates.c.entry_id, entry_id),
        (user_certificates.c.status, status),
    ):
        if value is not None:
            condition = condition & (column == value)
    total = conn.execute(select(func.count()).select_from(user_certificates).where(condition)).scalar_one()
    if offset >= total or limit <= 0:
        return total, []
    statement = (
        select(user_certificates)
        .where(condition)
        .order_by(user_certificates.c.user_id, user_certificates.c.entry_id)
        .offset(offset)
        .limit(min(limit, total - offset))
    )
    return total, [_certificate(row._mapping) for row in conn.execute(statement)]


def certificates_of_users(
    conn: Connection, partner_id: int, certificate_id: str, user_ids: Iterable[str]
) -> list[CertificateRecord]:
    """The user certificates of a certificate definition held by these users (read by key, a chunk of users at
    a time)."""
    wanted = sorted(set(user_ids))
    found: list[CertificateRecord] = []
    for start in range(0, len(wanted), _CHUNK):
        statement = select(user_certificates).where(
            (user_certificates.c.partner_id == partner_id)
            & (user_certificates.c.certificate_id == certificate_id)
            & user_certificates.c.user_id.in_(wanted[start : start + _CHUNK])
        )
        found.extend(_certificate(row._mapping) for row in conn.execute(statement))
    return found


def all_certificates(conn: Connection, partner_id: int) -> list[CertificateRecord]:
    """Every user certificate of the partner."""
    rows = conn.execute(select(user_certificates).where(user_certificates.c.partner_id == partner_id))
    return [_certificate(row) for row in rows.mappings()]


def certificate_by_id(conn: Connection, partner_id: int, record_id: str) -> CertificateRecord | None:
    """One user certificate by its id."""
    row = conn.execute(
        select(user_certificates).where(
            (user_certificates.c.partner_id == partner_id) & (user_certificates.c.id == record_id)
        )
    ).first()
    return None if row is None else _certificate(row._mapping)


def save_certificates(conn: Connection, partner_id: int, records: Iterable[CertificateRecord]) -> None:
    """Write user certificates (a stored one keeps its id)."""
    rows = [
        {
            "partner_id": partner_id,
            "id": record.id,
            "certificate_id": record.certificate_id,
            "user_id": record.user_id,
            "entry_id": record.entry_id,
            "status": record.status,
            "credits": record.credits,
            "rules_data": record.rules_data,
            "certified_at": record.certified_at,
            "updated_at": record.updated_at,
        }
        for record in records
    ]
    upsert(
        conn,
        user_certificates,
        rows,
        keys=("partner_id", "certificate_id", "user_id", "entry_id"),
        set_=lambda new: {
            "status": new.status,
            "credits": new.credits,
            "rules_data": new.rules_data,
            "certified_at": func.coalesce(user_certificates.c.certified_at, new.certified_at),
            "updated_at": new.updated_at,
        },
    )


def delete_achievements_of(conn: Connection, partner_id: int, game_object_id: str) -> None:
    """Remove every achievement of a badge or certificate (cleared or deleted)."""
    conn.execute(
        delete(user_badges).where(
            (user_badges.c.partner_id == partner_id) & (user_badges.c.badge_id == game_object_id)
        )
    )
    conn.execute(
        delete(user_certificates).where(
            (user_certificates.c.partner_id == partner_id)
            & (user_certificates.c.certificate_id == game_object_id)
        )
    )


def _certificate(row: Any) -> CertificateRecord:
    return CertificateRecord(
        id=row["id"],
        certificate_id=row["certificate_id"],
        user_id=row["user_id"],
        entry_id=row["entry_id"],
        status=row["status"],
        credits=row["credits"],
        rules_data=row["rules_data"],
        certified_at=row["certified_at"],
        updated_at=row["updated_at"],
    )
