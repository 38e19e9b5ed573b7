"""Repository of webhook endpoints (``webhook``) and of the dispatcher's position in each partner's change feed."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, tuple_, update

from gameservices.storage.schema import partners, webhook_cursors, webhooks
from gameservices.storage.upsert import upsert


@dataclass(frozen=True)
class WebhookRecord:
    """A partner's webhook endpoint as stored."""

    id: str
    partner_id: int
    url: str
    event_types: list[str]
    game_object_ids: list[str] | None
    description: str | None
    status: str
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: int | None
    since_seq: int
    failing_since: int | None
    disabled_reason: str | None
    created_at: int
    updated_at: int


def _record(row: Any) -> WebhookRecord:
    return WebhookRecord(**row._mapping)


def insert_webhook(conn: Connection, record: WebhookRecord) -> None:
    """Store a new webhook."""
    conn.execute(insert(webhooks).values(**asdict(record)))


def get_webhook(
    conn: Connection, *, partner_id: int, webhook_id: str, lock: bool = False
) -> WebhookRecord | None:
    """A partner's webhook by id (`lock`: its row locked until the transaction ends, for a change made from what
    is read; SQLite's write transactions are serial anyway)."""
    query = select(webhooks).where(webhooks.c.partner_id == partner_id, webhooks.c.id == webhook_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    return None if row is None else _record(row)


def list_webhooks(
    conn: Connection, *, partner_id: int, status: str | None, offset: int, limit: int
) -> tuple[int, list[WebhookRecord]]:
    """A page of a partner's webhooks, newest first, and how many there are."""
    clauses = [webhooks.c.partner_id == partner_id]
    if status is not None:
        clauses.append(webhooks.c.status == status)
    total = conn.execute(select(func.count()).select_from(webhooks).where(*clauses)).scalar_one()
    rows = conn.execute(
        select(webhooks)
        .where(*clauses)
        .order_by(webhooks.c.created_at.desc(), webhooks.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return int(total), [_record(row) for row in rows]


def enabled_webhooks(conn: Connection, partner_id: int) -> list[WebhookRecord]:
    """The partner's enabled webhooks, oldest first, their rows share-locked until the transaction ends (a delete
    then waits for the deliveries made for them, and takes them along)."""
    rows = conn.execute(
        select(webhooks)
        .where(webhooks.c.partner_id == partner_id, webhooks.c.status == "enabled")
        .order_by(webhooks.c.created_at, webhooks.c.id)
        .with_for_update(read=True)
    )
    return [_record(row) for row in rows]


def lock_webhooks(conn: Connection, keys: Iterable[tuple[int, str]]) -> None:
    """Lock these (partner id, webhook id) rows until the transaction ends, in that order (PostgreSQL; SQLite's
    write transactions take turns anyway): before their deliveries' rows, as a delete and a fan-out take them."""
    ordered = sorted(set(keys))
    if not ordered or conn.dialect.name == "sqlite":
        return
    conn.execute(
        select(webhooks.c.id)
        .where(tuple_(webhooks.c.partner_id, webhooks.c.id).in_(ordered))
        .order_by(webhooks.c.partner_id, webhooks.c.id)
        .with_for_update(key_share=True)
    ).all()


def update_webhook(conn: Connection, record: WebhookRecord) -> None:
    """Store a webhook's new values (its partner and id stay)."""
    values = asdict(record)
    conn.execute(
        update(webhooks)
        .where(webhooks.c.partner_id == record.partner_id, webhooks.c.id == record.id)
        .values(**values)
    )


def delete_webhook(conn: Connection, *, partner_id: int, webhook_id: str) -> bool:
    """Delete a webhook; whether it existed."""
    result = conn.execute(
        delete(webhooks).where(webhooks.c.partner_id == partner_id, webhooks.c.id == webhook_id)
    )
    return bool(result.rowcount)


def note_failure(conn: Connection, *, partner_id: int, webhook_id: str, now: int) -> WebhookRecord | None:
    """Mark the webhook failing since now unless it already is; the webhook as it is then."""
    conn.execute(
        update(webhooks)
        .where(
            webhooks.c.partner_id == partner_id,
            webhooks.c.id == webhook_id,
            webhooks.c.failing_since.is_(None),
        )
        .values(failing_since=now)
    )
    return get_webhook(conn, partner_id=partner_id, webhook_id=webhook_id)


def disable_webhook(conn: Connection, *, partner_id: int, webhook_id: str, reason: str, now: int) -> None:
    """Disable an enabled webhook for a reason (its endpoint is gone, or failed too long); only those columns
    change, so a change of its other fields made meanwhile stays."""
    conn.execute(
        update(webhooks)
        .where(
            webhooks.c.partner_id == partner_id, webhooks.c.id == webhook_id, webhooks.c.status == "enabled"
        )
        .values(status="disabled", disabled_reason=reason, updated_at=now)
    )


# Built once: the dispatcher runs it after every batch of deliveries.
_SUCCEEDED = (
    update(webhooks)
    .where(
        webhooks.c.partner_id == bindparam("succeeded_partner"),
        webhooks.c.id == bindparam("succeeded_webhook"),
        webhooks.c.failing_since.is_not(None),
    )
    .values(failing_since=None)
)


def note_success(conn: Connection, *, partner_id: int, webhook_id: str) -> None:
    """The webhook's endpoint answered: it is no longer failing."""
    conn.execute(_SUCCEEDED, {"succeeded_partner": partner_id, "succeeded_webhook": webhook_id})


def log_seq(conn: Connection, partner_id: int) -> int:
    """The seq of the partner's newest event log entry (0 when none)."""
    value = conn.execute(select(partners.c.log_seq).where(partners.c.id == partner_id)).scalar_one_or_none()
    return int(value or 0)


def ensure_cursor(conn: Connection, *, partner_id: int, position: tuple[int, int], now: int) -> None:
    """Start the partner's feed cursor at ``position`` (its feed's head), unless it has one already (one that
    another transaction is making too: its insert is waited for, then left as it is)."""
    row = {"partner_id": partner_id, "seq": position[0], "change_index": position[1], "updated_at": now}
    upsert(conn, webhook_cursors, [row], keys=["partner_id"], set_=None)


def lock_cursor(conn: Connection, *, partner_id: int) -> None:
    """Lock the partner's feed cursor until the transaction ends (PostgreSQL; SQLite's write lock serialises)."""
    conn.execute(
        select(webhook_cursors.c.seq).where(webhook_cursors.c.partner_id == partner_id).with_for_update()
    )


def lagging_partners(conn: Connection, *, limit: int, end: int, after: int = 0) -> list[int]:
    """Partners (of ids above `after`, in order) with an enabled webhook whose log goes past their cursor: entries
    after it, or the rest of a partly taken entry (a cursor index below ``end``, the mark of a whole entry)."""
    enabled = select(webhooks.c.partner_id).where(webhooks.c.status == "enabled").distinct().subquery()
    rows = conn.execute(
        select(webhook_cursors.c.partner_id)
        .join(enabled, enabled.c.partner_id == webhook_cursors.c.partner_id)
        .join(partners, partners.c.id == webhook_cursors.c.partner_id)
        .where(
            webhook_cursors.c.partner_id > after,
            or_(
                webhook_cursors.c.seq < partners.c.log_seq,
                and_(webhook_cursors.c.seq == partners.c.log_seq, webhook_cursors.c.change_index < end),
            ),
        )
        .order_by(webhook_cursors.c.partner_id)
        .limit(limit)
    )
    return [int(row[0]) for row in rows]


def claim_cursor(conn: Connection, partner_id: int) -> tuple[int, int] | None:
    """Lock the partner's cursor until the transaction ends and answer it; None when another dispatcher holds it
    (``SKIP LOCKED`` on PostgreSQL; SQLite's write lock already serialises) or the partner has none."""
    row = conn.execute(
        select(webhook_cursors.c.seq, webhook_cursors.c.change_index)
        .where(webhook_cursors.c.partner_id == partner_id)
        .with_for_update(skip_locked=True)
    ).first()
    return None if row is None else (int(row.seq), int(row.change_index))


def move_cursor(conn: Connection, *, partner_id: int, position: tuple[int, int], now: int) -> None:
    """Store the partner's new cursor (a claimed one)."""
    conn.execute(
        update(webhook_cursors)
        .where(webhook_cursors.c.partner_id == partner_id)
        .values(seq=position[0], change_index=position[1], updated_at=now)
    )
