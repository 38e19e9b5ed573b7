"""The ``userCertificateReport`` controller: each user's certificate (per entry for perEntry certificates).

Each rule of ``rulesData`` shows the points it gave (``score``) and the user's ``progress`` on it (for that
entry on a perEntry certificate when the rule is grouped by entry), in minutes for ``in_minutes`` rules.
"""

from collections.abc import Mapping
from typing import Any

from gameservices.domain.rules import progress_as_shown
from gameservices.domain.timefmt import format_ms
from gameservices.errors import ObjectNotFound
from gameservices.services.catalog.rule_set import compile_rule
from gameservices.services.standings.user_score import number
from gameservices.storage import achievements as repository
from gameservices.storage import buckets as bucket_repository
from gameservices.storage import entries as entry_repository
from gameservices.storage import rules as rule_repository
from gameservices.storage.achievements import CertificateRecord
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord

# (user id, entry id or "" for a once certificate, rule id) → the progress shown
Progress = Mapping[tuple[str, str, str], float]


def view(record: CertificateRecord, entry_name: str | None, progress: Progress) -> dict[str, Any]:
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
        "rulesData": [
            {
                "id": item["id"],
                "score": number(item["score"]),
                "progress": number(progress.get((record.user_id, record.entry_id, item["id"]), 0.0)),
            }
            for item in record.rules_data
        ],
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
    """The certificate's users (and entries) matching the filters, by user then entry. Only the page's records
    are read (the count is counted in SQL)."""
    total, page = repository.certificates_page(
        conn,
        partner_id,
        record.id,
        user_id=user_id,
        entry_id=entry_id,
        status=status,
        offset=offset,
        limit=limit,
    )
    names = entry_repository.entry_names(
        conn, partner_id, sorted({row.entry_id for row in page if row.entry_id})
    )
    progress = _progress(conn, partner_id, record, sorted({row.user_id for row in page}))
    return {
        "totalCount": total,
        "objects": [view(row, names.get(row.entry_id), progress) for row in page],
    }


def _progress(conn: Connection, partner_id: int, record: GameObjectRecord, user_ids: list[str]) -> Progress:
    """Each user's progress on each rule of the certificate, per entry for a perEntry certificate."""
    rules = {
        rule.id: rule
        for rule in rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    }
    per_entry = record.data.get("certificateEligibility") == "perEntry"
    positions: dict[str, int | None] = {}
    for rule_id, rule in rules.items():
        group_by = compile_rule(rule).group_by
        positions[rule_id] = group_by.index("entryId") if "entryId" in group_by else None
    totals: dict[tuple[str, str, str], float] = {}
    found = (
        bucket_repository.buckets_of_rules_and_users(conn, partner_id, list(rules), user_ids)
        if user_ids
        else {}
    )
    for (rule_id, values), bucket in found.items():
        position = positions.get(rule_id)
        if bucket.user_id is None or rule_id not in positions:
            continue
        if per_entry and (position is None or position >= len(values)):
            continue  # not grouped by entry: no progress of its own on a perEntry certificate's entries
        key = (bucket.user_id, values[position] if per_entry and position is not None else "", rule_id)
        totals[key] = totals.get(key, 0.0) + bucket.progress
    return {
        key: progress_as_shown(total, rules[key[2]].data.get("reportFormat")) for key, total in totals.items()
    }


def get(conn: Connection, *, partner_id: int, record_id: str) -> CertificateRecord:
    """One user certificate, or 404."""
    found = repository.certificate_by_id(conn, partner_id, record_id)
    if found is None:
        raise ObjectNotFound(record_id, "UserCertificateReport")
    return found
