"""The ``entry`` controller: what the partner says about its entries (name, duration, categories, virtual event).

Events that name an entry's ``entryName`` or ``duration`` keep updating those two (the last seen value wins,
whoever set it). The categories and virtual event are the partner's alone: the player's beacons carry neither,
so the events made from beacons take them from here (``services/scoring/analytics.py``).
"""

import time
from dataclasses import replace
from typing import Any

from gameservices.domain.timefmt import format_ms
from gameservices.errors import NotFound
from gameservices.projection.entries import ENTRY_CHANGE
from gameservices.storage import entries as repository
from gameservices.storage import event_log
from gameservices.storage.database import Connection
from gameservices.storage.entries import EntryFilter, EntryRecord

_FIELDS = {
    "name": "name",
    "duration": "duration",
    "categories": "categories",
    "virtualEventId": "virtual_event_id",
}


def view(record: EntryRecord) -> dict[str, Any]:
    """The API form of a stored entry."""
    created = record.created_at if record.created_at is not None else record.updated_at
    return {
        "id": record.entry_id,
        "objectType": "Entry",
        "partnerId": record.partner_id,
        "entryId": record.entry_id,
        "name": record.name,
        "duration": record.duration,
        "categories": record.categories or [],
        "virtualEventId": record.virtual_event_id,
        "createdAt": format_ms(int(created * 1000)),
        "updatedAt": format_ms(int(record.updated_at * 1000)),
    }


def upsert(conn: Connection, *, partner_id: int, fields: dict[str, Any]) -> EntryRecord:
    """Create the entry, or change the fields given (null clears one)."""
    now = time.time()
    entry_id = fields["entryId"]
    record = repository.get_entry(conn, partner_id=partner_id, entry_id=entry_id) or EntryRecord(
        partner_id, entry_id, None, None, None, None, None, now
    )
    changes = {column: fields[name] for name, column in _FIELDS.items() if name in fields}
    if "duration" in changes and changes["duration"] is not None:
        changes["duration"] = float(changes["duration"])
    # An entry that only events had named is created now, as far as the partner is concerned.
    created_at = record.created_at if record.created_at is not None else now
    updated = replace(record, **changes, created_at=created_at, updated_at=now)
    repository.put_entry(conn, updated)
    if updated.duration != record.duration:
        _log_duration(conn, partner_id, entry_id, updated.duration)
    return updated


def get(conn: Connection, *, partner_id: int, entry_id: str) -> EntryRecord:
    """One entry, or 404. Entry ids arrive trimmed: an entry events stored with whitespace around its id, before
    they were trimmed too, is found by the trimmed id when no entry has exactly that id (looked for only while
    the partner may have such an id: ``storage.entries.untrimmed_id``)."""
    record = repository.get_entry(conn, partner_id=partner_id, entry_id=entry_id)
    if record is None and (stored := repository.untrimmed_id(conn, partner_id=partner_id, entry_id=entry_id)):
        record = repository.get_entry(conn, partner_id=partner_id, entry_id=stored)
    if record is None:
        raise NotFound(
            f"Entry with id [{entry_id}] not found", code="OBJECT_NOT_FOUND", args={"ID": entry_id}
        )
    return record


def delete(conn: Connection, *, partner_id: int, entry_id: str) -> dict[str, Any]:
    """Forget an entry (events naming it later keep its name and duration again)."""
    record = get(conn, partner_id=partner_id, entry_id=entry_id)
    repository.delete_entry(conn, partner_id=partner_id, entry_id=record.entry_id)
    if record.duration is not None:
        _log_duration(conn, partner_id, record.entry_id, None)
    return {"id": record.entry_id, "entryId": record.entry_id, "deleted": True}


def _log_duration(conn: Connection, partner_id: int, entry_id: str, duration: float | None) -> None:
    # Dynamic caps read an entry's kept duration: every projection keeps the same one (projection.apply).
    event_log.record(conn, partner_id, ENTRY_CHANGE, {"entryId": entry_id, "duration": duration}, state=True)


def list_page(conn: Connection, *, partner_id: int, query: EntryFilter) -> tuple[int, list[EntryRecord]]:
    """One page of the partner's entries matching the filter."""
    return repository.list_entries(conn, partner_id=partner_id, query=query)
