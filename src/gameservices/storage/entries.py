"""Repository of entries as the ``entry`` controller sees them: what the partner says about an entry (name,
duration, categories, virtual event) beside the last name and duration events named.

The engine's own writes (the last seen name and duration, ``save_entries``) and reads of them are here too.
Times here are epoch seconds, as the table keeps them.
"""

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, case, delete, func, select
from sqlalchemy.sql.elements import ColumnElement

from gameservices.storage.schema import entries
from gameservices.storage.upsert import upsert

_CHUNK = 500
# API field name → column, for ordering.
ORDER_COLUMNS = {
    "createdAt": entries.c.created_at,
    "updatedAt": entries.c.updated_at,
    "entryId": entries.c.entry_id,
    "name": entries.c.entry_name,
}


@dataclass(frozen=True)
class EntryRecord:
    """A stored entry."""

    partner_id: int
    entry_id: str
    name: str | None
    duration: float | None
    categories: list[str] | None
    virtual_event_id: str | None
    created_at: float | None
    updated_at: float


@dataclass(frozen=True)
class EntryFilter:
    """What ``entry/list`` asks for; times in epoch seconds."""

    entry_ids: tuple[str, ...] | None = None
    virtual_event_id: str | None = None
    created_after: float | None = None
    created_before: float | None = None
    updated_after: float | None = None
    updated_before: float | None = None
    order_field: str = "createdAt"
    descending: bool = True
    offset: int = 0
    limit: int = 30


def _record(row: Any) -> EntryRecord:
    return EntryRecord(
        partner_id=row.partner_id,
        entry_id=row.entry_id,
        name=row.entry_name,
        duration=row.duration,
        categories=row.categories,
        virtual_event_id=row.virtual_event_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _key(partner_id: int, entry_id: str) -> ColumnElement[bool]:
    return (entries.c.partner_id == partner_id) & (entries.c.entry_id == entry_id)


def get_entry(conn: Connection, *, partner_id: int, entry_id: str) -> EntryRecord | None:
    """One entry of the partner."""
    row = conn.execute(select(entries).where(_key(partner_id, entry_id))).first()
    return None if row is None else _record(row)


# Every character Python's ``str.strip()`` removes (``str.isspace``), which entry ids are trimmed of wherever they
# enter (the API's models strip the same, and refuse the control characters among them: U+001C to U+001F).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Partners, per database, known to have no entry id stored untrimmed: every write trims entry ids now, so such a
# partner never has one again (a write of this process that stores one all the same forgets it here).
_ALL_TRIMMED: "weakref.WeakKeyDictionary[Engine, set[int]]" = weakref.WeakKeyDictionary()
MAX_ALL_TRIMMED = 100_000


def untrimmed_id(conn: Connection, *, partner_id: int, entry_id: str) -> str | None:
    """The id of an entry stored with whitespace around this one (events kept the id as sent before entry ids
    were trimmed), or None; the first by id when there are several.

    Trimmed as Python trims (``WHITESPACE``). The partner's entries are read only while it may have such an id:
    the first look that finds none at all is the last for that partner in this process."""
    known = _ALL_TRIMMED.setdefault(conn.engine, set())
    if partner_id in known:
        return None
    trimmed = func.trim(entries.c.entry_id, WHITESPACE)
    # One read: the match first, else any untrimmed id (the partner still has some), else none.
    found = conn.execute(
        select(entries.c.entry_id)
        .where((entries.c.partner_id == partner_id) & (entries.c.entry_id != trimmed))
        .order_by(case((trimmed == entry_id, 0), else_=1), entries.c.entry_id)
        .limit(1)
    ).scalar()
    if found is None:
        if len(known) >= MAX_ALL_TRIMMED:
            known.clear()
        known.add(partner_id)
        return None
    return str(found) if str(found).strip(WHITESPACE) == entry_id else None


def _stored_untrimmed(conn: Connection, partner_id: int, entry_ids: Sequence[str]) -> None:
    if any(entry_id != entry_id.strip(WHITESPACE) for entry_id in entry_ids):
        _ALL_TRIMMED.get(conn.engine, set()).discard(partner_id)


def put_entry(conn: Connection, record: EntryRecord) -> None:
    """Store the entry as given (insert, or replace the fields of the stored one)."""
    row = {
        "partner_id": record.partner_id,
        "entry_id": record.entry_id,
        "entry_name": record.name,
        "duration": record.duration,
        "categories": record.categories,
        "virtual_event_id": record.virtual_event_id,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }
    _stored_untrimmed(conn, record.partner_id, [record.entry_id])
    upsert(
        conn,
        entries,
        [row],
        keys=("partner_id", "entry_id"),
        set_=lambda new: {name: getattr(new, name) for name in row if name not in ("partner_id", "entry_id")},
    )


def delete_entry(conn: Connection, *, partner_id: int, entry_id: str) -> bool:
    """Remove an entry; False when there was none."""
    return conn.execute(delete(entries).where(_key(partner_id, entry_id))).rowcount > 0


def list_entries(conn: Connection, *, partner_id: int, query: EntryFilter) -> tuple[int, list[EntryRecord]]:
    """One page of the partner's entries matching the filter, with the total count."""
    clauses = [entries.c.partner_id == partner_id, *_filters(query)]
    total = int(conn.execute(select(func.count()).select_from(entries).where(*clauses)).scalar_one())
    column: Any = ORDER_COLUMNS[query.order_field]
    # An entry only events have named has no creation time: it sorts by its last change instead.
    if query.order_field == "createdAt":
        column = func.coalesce(entries.c.created_at, entries.c.updated_at)
    # An entry without a name sorts before every name on every database (PostgreSQL puts nulls last by itself).
    order = (
        (column.desc().nulls_last(), entries.c.entry_id.desc())
        if query.descending
        else (column.asc().nulls_first(), entries.c.entry_id)
    )
    statement = select(entries).where(*clauses).order_by(*order).offset(query.offset).limit(query.limit)
    return total, [_record(row) for row in conn.execute(statement)]


def _filters(query: EntryFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if query.entry_ids is not None:
        clauses.append(entries.c.entry_id.in_(query.entry_ids))
    if query.virtual_event_id is not None:
        clauses.append(entries.c.virtual_event_id == query.virtual_event_id)
    created = func.coalesce(entries.c.created_at, entries.c.updated_at)
    for column, after, before in (
        (created, query.created_after, query.created_before),
        (entries.c.updated_at, query.updated_after, query.updated_before),
    ):
        if after is not None:
            clauses.append(column > after)
        if before is not None:
            clauses.append(column < before)
    return clauses


def entry_facts(
    conn: Connection, *, partner_id: int, entry_ids: Sequence[str]
) -> dict[str, tuple[list[str] | None, str | None]]:
    """The categories and virtual event the partner set for these entries (entries without either left out)."""
    facts: dict[str, tuple[list[str] | None, str | None]] = {}
    unique = sorted(set(entry_ids))
    for start in range(0, len(unique), _CHUNK):
        statement = select(entries.c.entry_id, entries.c.categories, entries.c.virtual_event_id).where(
            (entries.c.partner_id == partner_id)
            & entries.c.entry_id.in_(unique[start : start + _CHUNK])
            & (entries.c.categories.is_not(None) | entries.c.virtual_event_id.is_not(None))
        )
        for row in conn.execute(statement):
            facts[row.entry_id] = (row.categories, row.virtual_event_id)
    return facts


def save_entries(
    conn: Connection, partner_id: int, seen: Mapping[str, tuple[str | None, float | None, float]]
) -> None:
    """Keep the last seen name and duration of each entry (entry id → (name, duration, time)); the ids are
    events' entry ids, trimmed (domain/events.py), so none is stored untrimmed here (``untrimmed_id``)."""
    rows = [
        {
            "partner_id": partner_id,
            "entry_id": entry_id,
            "entry_name": name,
            "duration": duration,
            "updated_at": at,
        }
        for entry_id, (name, duration, at) in seen.items()
    ]
    upsert(
        conn,
        entries,
        rows,
        keys=("partner_id", "entry_id"),
        # An event that names only one of the two keeps the other one as last seen.
        set_=lambda new: {
            "entry_name": func.coalesce(new.entry_name, entries.c.entry_name),
            "duration": func.coalesce(new.duration, entries.c.duration),
            "updated_at": new.updated_at,
        },
    )


def entry_names(conn: Connection, partner_id: int, entry_ids: list[str]) -> dict[str, str | None]:
    """The last seen names of entries."""
    names: dict[str, str | None] = {}
    for start in range(0, len(entry_ids), _CHUNK):
        chunk = entry_ids[start : start + _CHUNK]
        statement = select(entries.c.entry_id, entries.c.entry_name).where(
            (entries.c.partner_id == partner_id) & entries.c.entry_id.in_(chunk)
        )
        names.update({row.entry_id: row.entry_name for row in conn.execute(statement)})
    return names


def entry_durations(conn: Connection, partner_id: int, entry_ids: list[str]) -> dict[str, float]:
    """The last seen durations of entries (entries without one are left out)."""
    durations: dict[str, float] = {}
    for start in range(0, len(entry_ids), _CHUNK):
        chunk = entry_ids[start : start + _CHUNK]
        statement = select(entries.c.entry_id, entries.c.duration).where(
            (entries.c.partner_id == partner_id)
            & entries.c.entry_id.in_(chunk)
            & entries.c.duration.is_not(None)
        )
        durations.update({row.entry_id: float(row.duration) for row in conn.execute(statement)})
    return durations


def all_entry_durations(conn: Connection, partner_id: int) -> dict[str, float]:
    """The last seen duration of every entry of the partner that has one."""
    statement = select(entries.c.entry_id, entries.c.duration).where(
        (entries.c.partner_id == partner_id) & entries.c.duration.is_not(None)
    )
    return {row.entry_id: float(row.duration) for row in conn.execute(statement)}
