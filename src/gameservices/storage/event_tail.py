"""Reads of the newest part of a partner's event log for the console's live screens, newest entries first. Every
read is bounded by a seq range on the log's primary key, so it costs the entries it looks at, never the whole log."""

from dataclasses import dataclass

from sqlalchemy import Connection, case, literal, select

from gameservices.storage.schema import event_log


@dataclass(frozen=True, slots=True)
class TimedEntry:
    """An entry with the time it was appended (epoch ms); `body` is None where it was not asked for."""

    seq: int
    kind: str
    created_at: int
    body: bytes | None


def newest_of_kind(
    conn: Connection, partner_id: int, kind: str, *, after_seq: int, limit: int
) -> list[TimedEntry]:
    """The partner's newest entries of one kind among those after `after_seq`, newest first, at most `limit`."""
    rows = conn.execute(
        select(event_log.c.seq, event_log.c.created_at, event_log.c.body)
        .where(event_log.c.partner_id == partner_id, event_log.c.seq > after_seq, event_log.c.kind == kind)
        .order_by(event_log.c.seq.desc())
        .limit(limit)
    )
    return [TimedEntry(int(row.seq), kind, int(row.created_at), bytes(row.body)) for row in rows]


def appended_since(
    conn: Connection, partner_id: int, *, after_seq: int, since_ms: int, body_of: str
) -> list[TimedEntry]:
    """The partner's entries after `after_seq` appended at or after `since_ms`, newest first; only entries of the
    kind `body_of` come with their body."""
    body = case((event_log.c.kind == body_of, event_log.c.body), else_=literal(None))
    rows = conn.execute(
        select(event_log.c.seq, event_log.c.kind, event_log.c.created_at, body.label("body"))
        .where(
            event_log.c.partner_id == partner_id,
            event_log.c.seq > after_seq,
            event_log.c.created_at >= since_ms,
        )
        .order_by(event_log.c.seq.desc())
    )
    return [
        TimedEntry(
            int(row.seq), str(row.kind), int(row.created_at), None if row.body is None else bytes(row.body)
        )
        for row in rows
    ]
