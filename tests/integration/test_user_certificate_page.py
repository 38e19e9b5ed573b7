"""`userCertificateReport/list` reads one page of user certificates in SQL: the same rows, in the same order,
with the same count as filtering and slicing all of the certificate's records (what the page used to read)."""

import itertools
import random
from typing import Any

from sqlalchemy import Engine

from gameservices.domain.ids import new_object_id
from gameservices.services.reports import user_certificates
from gameservices.services.reports.rows import EVERYONE
from gameservices.storage import achievements
from gameservices.storage.achievements import CertificateRecord
from gameservices.storage.database import read_transaction, write_transaction
from gameservices.storage.game_objects import GameObjectRecord, insert_game_object
from tests.conftest import Partner

# Ids whose order differs between byte order and a language's collation (case, accents, punctuation, digits).
_USERS = ["ann", "Ann", "bob", "Bob", "émile", "emile", "zoe", "_x", "a-b", "a b", "10", "9", "user.1", "ÿ"]
_ENTRIES = ["", "e1", "E1", "e2", "é3", "0_abc"]


def _records(certificate_id: str) -> list[CertificateRecord]:
    chosen = random.Random(7)
    pairs = [(user, entry) for user in _USERS for entry in _ENTRIES] + [
        (f"u{index:03d}", chosen.choice(_ENTRIES)) for index in range(300)
    ]
    return [
        CertificateRecord(
            id=new_object_id(),
            certificate_id=certificate_id,
            user_id=user,
            entry_id=entry,
            status=chosen.choice(["CERTIFIED", "IN_PROGRESS"]),
            credits=float(chosen.randrange(50)),
            rules_data=[{"id": "r1", "score": float(chosen.randrange(50))}],
            certified_at=None,
            updated_at=1.7e9,
        )
        for user, entry in sorted(set(pairs), key=lambda pair: chosen.random())
    ]


def _full_read(conn: Any, partner_id: int, record: GameObjectRecord, **query: Any) -> dict[str, Any]:
    """The page as it was read before: every record of the certificate, filtered and sliced."""
    rows = [
        row
        for row in achievements.certificates_of(conn, partner_id, record.id)
        if (query["user_id"] is None or row.user_id == query["user_id"])
        and (query["entry_id"] is None or row.entry_id == query["entry_id"])
        and (query["status"] is None or row.status == query["status"])
    ]
    page = rows[query["offset"] : query["offset"] + query["limit"]]
    return {
        "totalCount": len(rows),
        "objects": [user_certificates.view(row, None, {}) for row in page],
    }


def test_a_page_of_user_certificates_is_the_slice_of_the_full_read(engine: Engine, partner: Partner) -> None:
    record = GameObjectRecord(
        new_object_id(),
        partner.id,
        "certificate",
        "Course",
        "enabled",
        {"certificateEligibility": "perEntry"},
        0,
        0,
    )
    with write_transaction(engine) as conn:
        insert_game_object(conn, record)
        records = _records(record.id)
        achievements.save_certificates(conn, partner.id, records)
        # Another certificate's records are never listed.
        other = _records(new_object_id())[:20]
        achievements.save_certificates(conn, partner.id, other)
    assert len(records) > 300
    filters = itertools.product(
        [None, "ann", "Ann", "u007", "nobody", "\x00"],
        [None, "", "e1", "E1", "none"],
        [None, "CERTIFIED", "IN_PROGRESS"],
    )
    pages = [
        (0, 30),
        (0, 500),
        (30, 30),
        (5, 7),
        (95, 40),
        (290, 100),
        (1000, 30),
        (0, EVERYONE),
        (3, EVERYONE),
    ]
    with read_transaction(engine) as conn:
        for (user_id, entry_id, status), (offset, limit) in itertools.product(filters, pages):
            query = {
                "user_id": user_id,
                "entry_id": entry_id,
                "status": status,
                "offset": offset,
                "limit": limit,
            }
            paged = user_certificates.list_page(conn, partner_id=partner.id, record=record, **query)
            expected = _full_read(conn, partner.id, record, **query)
            # (No entry of the partner is stored: every entryName is None either way.)
            assert paged == expected, query
        everyone = user_certificates.list_page(
            conn,
            partner_id=partner.id,
            record=record,
            user_id=None,
            entry_id=None,
            status=None,
            offset=0,
            limit=EVERYONE,
        )
    assert everyone["totalCount"] == len(records)
    # (In the database's collation order, which the full read above gives: compared there.)
    assert {row["id"] for row in everyone["objects"]} == {row.id for row in records}
