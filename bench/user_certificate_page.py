"""One page of `userCertificateReport/list` at many user certificates (docs/performance.md, "Reads and jobs that
grew with the whole data"): the service call `user_certificates.list_page`, in process, on SQLite.

A fresh migrated SQLite database gets one partner with a certificate game object (no rules: the page's progress
read is the same however many records there are) and `--records` user certificates, one in three certified.
Timed: the first page of 30, a page of 30 in the middle, and the middle page with `status` CERTIFIED; each the
median of `--runs` calls.

Run: PYTHONPATH=src python bench/user_certificate_page.py [--records 50000] [--runs 7]; prints JSON.
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from gameservices.domain.ids import new_object_id
from gameservices.services.access.partner import create_partner
from gameservices.services.reports import user_certificates
from gameservices.storage import achievements
from gameservices.storage.achievements import CertificateRecord
from gameservices.storage.database import open_engine, read_transaction, write_transaction
from gameservices.storage.game_objects import GameObjectRecord, insert_game_object
from gameservices.storage.migrate import upgrade


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        engine = open_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        upgrade(engine)
        with write_transaction(engine) as conn:
            partner_id = create_partner(conn, name="bench")["partnerId"]
            record = GameObjectRecord(
                new_object_id(), partner_id, "certificate", "Course", "enabled", {}, 0, 0
            )
            insert_game_object(conn, record)
            achievements.save_certificates(
                conn,
                partner_id,
                [
                    CertificateRecord(
                        id=new_object_id(),
                        certificate_id=record.id,
                        user_id=f"user{index:06d}",
                        entry_id="",
                        status="CERTIFIED" if index % 3 == 0 else "IN_PROGRESS",
                        credits=float(index % 40),
                        rules_data=[{"id": "r1", "score": float(index % 40)}],
                        certified_at=1.7e9 if index % 3 == 0 else None,
                        updated_at=1.7e9,
                    )
                    for index in range(args.records)
                ],
            )

        def page(offset: int, status: str | None) -> float:
            with read_transaction(engine) as conn:
                started = time.perf_counter()
                found = user_certificates.list_page(
                    conn,
                    partner_id=partner_id,
                    record=record,
                    user_id=None,
                    entry_id=None,
                    status=status,
                    offset=offset,
                    limit=30,
                )
                took = time.perf_counter() - started
            assert len(found["objects"]) == 30
            return took

        middle = args.records // 2
        results: dict[str, Any] = {"records": args.records}
        for name, offset, status in (
            ("first page", 0, None),
            ("middle page", middle, None),
            ("middle page, CERTIFIED", middle // 3, "CERTIFIED"),
        ):
            results[name] = round(statistics.median(page(offset, status) for _ in range(args.runs)), 4)
        engine.dispose()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
