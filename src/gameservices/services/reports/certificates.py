"""The rows of the four certificate reports, which answer for a certificate of either eligibility.

The *data* reports (`certificate`, `entryCertificate`) carry the user certificate's id and each rule's points;
the *user* reports (`userCertificate`, `entryUserCertificate`) the status only. Which rows there are follows
the certificate, not the report's name:

- a `perEntry` certificate has one user certificate per user and entry: every report gives one row per user
  per entry, with the entry columns;
- a `once` certificate has one user certificate per user: `certificate` and `userCertificate` give one row per
  user; the *entry* reports give one row per user and entry that contributed to it, the entry read from the
  buckets of the certificate's rules grouped by entry, and the rule columns that entry's points. Points no
  entry accounts for (rules not grouped by entry, or a user with no entry at all) make one more row with
  empty entry columns, so a user's rows add up to the certificate's points. Status, credits and date are the
  user certificate's on each of its rows.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from gameservices.services.reports import user_certificates as user_certificate_report
from gameservices.services.reports.formats import Cell, Rows, Table
from gameservices.services.reports.rows import EVERYONE, PEOPLE, Person, chunked, rule_columns
from gameservices.services.scoring import achievements
from gameservices.services.standings.user_score import number
from gameservices.storage import entries as entry_repository
from gameservices.storage import rules as rule_repository
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord

DATA_REPORTS = frozenset({"certificate", "entryCertificate"})
ENTRY_REPORTS = frozenset({"entryCertificate", "entryUserCertificate"})
# Points left over below this (float sums) are no points.
_NOTHING = 1e-9


def certificate(conn: Connection, *, partner_id: int, record: GameObjectRecord, report_type: str) -> Table:
    """userCertificateReport/list as a table: one row per user certificate, or per user and entry."""
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    listed = user_certificate_report.list_page(
        conn,
        partner_id=partner_id,
        record=record,
        user_id=None,
        entry_id=None,
        status=None,
        offset=0,
        limit=EVERYONE,
    )["objects"]
    per_entry = record.data.get("certificateEligibility") == "perEntry"
    with_entries = per_entry or report_type in ENTRY_REPORTS
    if with_entries and not per_entry:
        listed = _by_contributing_entry(conn, partner_id, rules, listed)
    full = report_type in DATA_REPORTS

    def rows_of(item: dict[str, Any], person: Person) -> Rows:
        row: list[Cell] = [item["id"]] if full else []
        row += [item["userId"], *person]
        if with_entries:
            row += [item["entryId"], item["entryName"]]
        row += [item["status"], item["credits"], item["certificationDate"]]
        if full:
            scores = item["scores"] if "scores" in item else _scores(item)
            row += [scores.get(rule.id, 0) for rule in rules]
        return [row]

    columns = (["id"] if full else []) + PEOPLE + (["entryId", "entryName"] if with_entries else [])
    columns += ["status", "credits", "certificationDate"]
    columns += rule_columns(rules, columns) if full else []
    return Table(columns, chunked(conn, partner_id, listed, rows_of))


def _scores(item: Mapping[str, Any]) -> dict[str, Any]:
    return {rule["id"]: rule["score"] for rule in item["rulesData"]}


def _by_contributing_entry(
    conn: Connection, partner_id: int, rules: list[RuleRecord], listed: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each user certificate of a `once` certificate as one item per entry that contributed (``scores``: that
    entry's points per rule), after an item without entry for the points no entry accounts for."""
    contributions = achievements.entry_points(conn, partner_id, rules)
    entry_ids = sorted({entry_id for entries in contributions.values() for entry_id in entries})
    names = entry_repository.entry_names(conn, partner_id, entry_ids)
    split: list[dict[str, Any]] = []
    for item in listed:
        entries = contributions.get(item["userId"], {})
        rest = {rule_id: float(score) for rule_id, score in _scores(item).items()}
        for points in entries.values():
            for rule_id, value in points.items():
                rest[rule_id] = rest.get(rule_id, 0.0) - value
        if not entries or any(abs(value) > _NOTHING for value in rest.values()):
            leftover = {
                rule_id: number(value if abs(value) > _NOTHING else 0.0) for rule_id, value in rest.items()
            }
            split.append({**item, "entryId": None, "entryName": None, "scores": leftover})
        for entry_id in sorted(entries):
            scores = {rule_id: number(value) for rule_id, value in entries[entry_id].items()}
            split.append({**item, "entryId": entry_id, "entryName": names.get(entry_id), "scores": scores})
    return split
