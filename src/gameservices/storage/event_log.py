"""Repository of the event log: appending a partner's entries under its row lock, reading those after a seq."""

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, Select, bindparam, delete, func, insert, select, update

from gameservices.domain.timefmt import now_ms
from gameservices.storage import checkpoints, log_wakeups
from gameservices.storage.database import in_write_transaction, transaction_notes
from gameservices.storage.schema import event_log, log_checkpoints, partners


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry: its place in the partner's log, its kind and its JSON body."""

    seq: int
    kind: str
    body: bytes


# The transaction note holding the partners whose logs the transaction appended to.
_APPENDED = "appended"
# A body orjson cannot write (an integer beyond 64 bits) is written by the standard library after this mark, and
# read back by it too: orjson would read such an integer as a float.
_WIDE = b"~"


def encode_body(value: object) -> bytes:
    """The stored form of an entry's JSON body."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _WIDE + json.dumps(value, ensure_ascii=False, allow_nan=False).encode()


def decode_body(body: bytes) -> Any:
    """An entry's JSON body, exactly as it was encoded."""
    if body[:1] == _WIDE:
        return json.loads(body[1:])
    return orjson.loads(body)


class Appended(NamedTuple):
    """The partner's (state, rules) versions after an append, and the entry's seq."""

    state_version: int
    rules_version: int
    seq: int


def append(
    conn: Connection,
    partner_id: int,
    kind: str,
    body: bytes,
    *,
    now_ms: int,
    state: bool = True,
    rules: bool = False,
    changes: bytes | None = None,
    deferred: bool = False,
) -> Appended:
    """Append one entry (with the typed changes it made, encoded, if any) and bump the partner's state (and
    rules) version, which tell every process what it lacks. The partner row stays locked until the transaction
    ends, so seqs are gap-free and in commit order.

    The transaction writes the entry's effects on the derived tables itself, after bringing them up to the log
    (the checkpoint then moves to this entry); `deferred`: it leaves them to a later checkpoint (`events` entries
    of a live state only, see projection/checkpoint.py)."""
    values = {"log_seq": partners.c.log_seq + 1}
    if state:
        values["state_version"] = partners.c.state_version + 1
    if rules:
        values["rules_version"] = partners.c.rules_version + 1
    row = conn.execute(
        update(partners)
        .where(partners.c.id == partner_id)
        .values(**values)
        .returning(partners.c.state_version, partners.c.rules_version, partners.c.log_seq)
    ).one()
    appended = Appended(int(row.state_version), int(row.rules_version), int(row.log_seq))
    if deferred:
        if kind != "events":
            raise ValueError("only events entries leave the derived tables to a checkpoint")
    else:
        checkpoints.note_entry(conn, partner_id, appended.seq)
    conn.execute(
        insert(event_log).values(
            partner_id=partner_id, seq=appended.seq, kind=kind, body=body, created_at=now_ms, changes=changes
        )
    )
    if in_write_transaction(conn):
        transaction_notes(conn).setdefault(_APPENDED, set()).add(partner_id)
    log_wakeups.notify(conn, partner_id)
    return appended


def appended_in(conn: Connection, partner_id: int) -> bool:
    """Whether this write transaction appended an entry of the partner (uncommitted while it lasts)."""
    return in_write_transaction(conn) and partner_id in transaction_notes(conn).get(_APPENDED, ())


def record(
    conn: Connection,
    partner_id: int,
    kind: str,
    details: dict[str, Any],
    *,
    state: bool,
    rules: bool = False,
    changes: bytes | None = None,
) -> Appended:
    """Append an entry describing a change other than events (its details as JSON); see ``append``."""
    return append(
        conn,
        partner_id,
        kind,
        encode_body(details),
        now_ms=now_ms(),
        state=state,
        rules=rules,
        changes=changes,
    )


def last_seq(conn: Connection, partner_id: int) -> int:
    """The seq of the partner's newest entry (0 when it has none)."""
    return int(conn.execute(select(partners.c.log_seq).where(partners.c.id == partner_id)).scalar_one())


def entries_after(conn: Connection, partner_id: int, seq: int, *, limit: int) -> list[LogEntry]:
    """The partner's entries after `seq`, oldest first, at most `limit`."""
    rows = conn.execute(
        select(event_log.c.seq, event_log.c.kind, event_log.c.body)
        .where(event_log.c.partner_id == partner_id, event_log.c.seq > seq)
        .order_by(event_log.c.seq)
        .limit(limit)
    ).all()
    # Fetched at once and unpacked by position: twice as fast per entry as fetching and naming them one by one.
    return [LogEntry(seq, kind, bytes(body)) for seq, kind, body in rows]


@dataclass(frozen=True, slots=True)
class EntryChanges:
    """The changes one entry made (encoded), with its place in the log and when it was appended."""

    seq: int
    created_at: int
    changes: bytes


def changes_after(
    conn: Connection, partner_id: int, seq: int, *, entries: int, through: int | None = None
) -> tuple[list[EntryChanges], int]:
    """The changes of the partner's entries after `seq` (and up to `through`, when given; oldest first), looking
    at no more than `entries` entries; and the seq of the last entry looked at (`seq` itself when there was none)."""
    condition = (event_log.c.partner_id == partner_id) & (event_log.c.seq > seq)
    if through is not None:
        condition &= event_log.c.seq <= through
    rows = conn.execute(
        select(event_log.c.seq, event_log.c.created_at, event_log.c.changes)
        .where(condition)
        .order_by(event_log.c.seq)
        .limit(entries)
    ).all()
    found = [
        EntryChanges(int(row.seq), int(row.created_at), bytes(row.changes))
        for row in rows
        if row.changes is not None
    ]
    return found, int(rows[-1].seq) if rows else seq


def first_seq(conn: Connection, partner_id: int) -> int | None:
    """The seq of the partner's oldest retained entry (None when it has none)."""
    value = conn.execute(
        select(func.min(event_log.c.seq)).where(event_log.c.partner_id == partner_id)
    ).scalar_one()
    return None if value is None else int(value)


def count_entries(conn: Connection, partner_id: int) -> int:
    """How many entries the partner's log retains."""
    return int(
        conn.execute(
            select(func.count()).select_from(event_log).where(event_log.c.partner_id == partner_id)
        ).scalar_one()
    )


def deletable_before(created_before_ms: int, *, limit: int) -> Select[int, int]:
    """The query for at most `limit` entries (of any partner, as (partner_id, seq)) appended before a time that
    retention may delete, oldest first: only entries the derived tables reflect (at or before their checkpoint),
    since a later one is still needed to load the partner. It reads the `created_at` index, not the log."""
    checkpoint = (
        select(log_checkpoints.c.seq)
        .where(log_checkpoints.c.partner_id == event_log.c.partner_id)
        .scalar_subquery()
    )
    return (
        select(event_log.c.partner_id, event_log.c.seq)
        .where(event_log.c.created_at < created_before_ms, event_log.c.seq <= func.coalesce(checkpoint, 0))
        .order_by(event_log.c.created_at)
        .limit(limit)
    )


def delete_older_than(conn: Connection, created_before_ms: int, *, limit: int) -> int:
    """Delete at most `limit` entries (of any partner) appended before a time, in one statement; how many. Only
    entries the derived tables reflect go (see ``deletable_before``)."""
    doomed = conn.execute(deletable_before(created_before_ms, limit=limit)).all()
    if doomed:
        conn.execute(
            delete(event_log).where(
                event_log.c.partner_id == bindparam("doomed_partner"),
                event_log.c.seq == bindparam("doomed_seq"),
            ),
            [{"doomed_partner": partner_id, "doomed_seq": seq} for partner_id, seq in doomed],
        )
    return len(doomed)
