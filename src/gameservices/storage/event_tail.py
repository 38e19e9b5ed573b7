"""Reads of the newest part of partners' event logs, for the console's live screens: where each log ends, and its
newest entries (newest first). Every read is bounded by a seq range on the log's primary key, so it costs the
entries it looks at, never the whole log."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, case, literal, select

from gameservices.storage.schema import event_log, partners


@dataclass(frozen=True, slots=True)
class TimedEntry:
    """An entry with the time it was appended (epoch ms); `body` is None where it was not asked for."""

    seq: int
    kind: str
    created_at: int
    body: bytes | None


def last_seqs(conn: Connection, partner_ids: Iterable[int]) -> dict[int, int]:
    """The seq of each partner's newest entry (0: none yet), in one read; unknown partners are left out."""
    wanted = sorted(set(partner_ids))
    if not wanted:
        return {}
    rows = conn.execute(select(partners.c.id, partners.c.log_seq).where(partners.c.id.in_(wanted)))
    return {int(row.id): int(row.log_seq) for row in rows}


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
