"""Repository of webhook deliveries (``webhookDelivery``): storing them, listing them, and claiming attempts.

An attempt is claimed by writing a fresh lease token with the time the lease runs out: a delivery is due when
it is pending, its next attempt time has come and no live lease holds it. Candidates are locked with ``FOR
UPDATE SKIP LOCKED`` on PostgreSQL (SQLite's write lock serialises claims), so each attempt has one owner; an
outcome is stored only under the token it was claimed with, so a dispatcher whose lease ran out cannot overwrite
the attempt another one made since.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from gameservices.storage.schema import webhook_deliveries, webhooks

TEST_TYPE = "webhook.test"


@dataclass(frozen=True)
class DeliveryRecord:
    """One delivery of a change (or of a test message) to one webhook."""

    id: str
    partner_id: int
    webhook_id: str
    change_id: str | None
    type: str
    payload: bytes
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: int | None
    lease_token: str | None
    lease_until: int | None
    delivered_at: int | None
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class Attempt:
    """A claimed attempt: what to send where, signed with which secrets."""

    delivery_id: str
    partner_id: int
    webhook_id: str
    url: str
    payload: bytes
    attempt: int
    lease_token: str
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What an attempt ended in, as stored: the delivery's new status and times."""

    status: str
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: int | None
    delivered_at: int | None


def _record(row: Any) -> DeliveryRecord:
    values = dict(row._mapping)
    values["payload"] = bytes(values["payload"])
    return DeliveryRecord(**values)


def insert_deliveries(conn: Connection, records: Sequence[DeliveryRecord]) -> None:
    """Store new deliveries."""
    if records:
        conn.execute(insert(webhook_deliveries), [asdict(record) for record in records])


def get_delivery(conn: Connection, *, partner_id: int, delivery_id: str) -> DeliveryRecord | None:
    """A partner's delivery by id."""
    row = conn.execute(
        select(webhook_deliveries).where(
            webhook_deliveries.c.partner_id == partner_id, webhook_deliveries.c.id == delivery_id
        )
    ).first()
    return None if row is None else _record(row)


def list_deliveries(
    conn: Connection, *, partner_id: int, webhook_id: str | None, status: str | None, offset: int, limit: int
) -> tuple[int, list[DeliveryRecord]]:
    """A page of a partner's deliveries, newest first, and how many there are."""
    table = webhook_deliveries
    clauses = [table.c.partner_id == partner_id]
    if webhook_id is not None:
        clauses.append(table.c.webhook_id == webhook_id)
    if status is not None:
        clauses.append(table.c.status == status)
    total = conn.execute(select(func.count()).select_from(table).where(*clauses)).scalar_one()
    rows = conn.execute(
        select(table)
        .where(*clauses)
        .order_by(table.c.created_at.desc(), table.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return int(total), [_record(row) for row in rows]


def delete_of_webhook(conn: Connection, *, partner_id: int, webhook_id: str) -> None:
    """Delete every delivery of a webhook."""
    conn.execute(
        webhook_deliveries.delete().where(
            webhook_deliveries.c.partner_id == partner_id, webhook_deliveries.c.webhook_id == webhook_id
        )
    )


def requeue(conn: Connection, *, partner_id: int, delivery_id: str, now: int) -> bool:
    """Make a failed delivery due again now; whether it was failed."""
    table = webhook_deliveries
    result = conn.execute(
        update(table)
        .where(table.c.partner_id == partner_id, table.c.id == delivery_id, table.c.status == "failed")
        .values(status="pending", next_attempt_at=now, lease_token=None, lease_until=None, updated_at=now)
    )
    return bool(result.rowcount)


def claim_due(conn: Connection, *, now: int, limit: int, lease_ms: int, token: str) -> list[Attempt]:
    """Claim up to ``limit`` due attempts (earliest first) under ``token`` until ``now + lease_ms``.

    Deliveries of a disabled webhook wait (``webhook/test`` messages excepted)."""
    table = webhook_deliveries
    candidates = (
        select(table.c.id)
        .join(webhooks, (webhooks.c.partner_id == table.c.partner_id) & (webhooks.c.id == table.c.webhook_id))
        .where(
            table.c.status == "pending",
            table.c.next_attempt_at <= now,
            or_(table.c.lease_until.is_(None), table.c.lease_until <= now),
            or_(webhooks.c.status == "enabled", table.c.type == TEST_TYPE),
        )
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=table)
    )
    ids = [str(row[0]) for row in conn.execute(candidates)]
    if not ids:
        return []
    conn.execute(
        update(table)
        .where(table.c.id.in_(ids))
        .values(attempts=table.c.attempts + 1, lease_token=token, lease_until=now + lease_ms, updated_at=now)
    )
    rows = conn.execute(
        select(
            table.c.id,
            table.c.partner_id,
            table.c.webhook_id,
            table.c.payload,
            table.c.attempts,
            webhooks.c.url,
            webhooks.c.secret,
            webhooks.c.previous_secret,
            webhooks.c.previous_secret_expires_at,
        )
        .join(webhooks, (webhooks.c.partner_id == table.c.partner_id) & (webhooks.c.id == table.c.webhook_id))
        .where(table.c.id.in_(ids))
        .order_by(table.c.next_attempt_at, table.c.id)
    )
    return [_attempt(row, token, now) for row in rows]


def _attempt(row: Any, token: str, now: int) -> Attempt:
    secrets = [str(row.secret)]
    expires = row.previous_secret_expires_at
    if row.previous_secret is not None and expires is not None and int(expires) > now:
        secrets.append(str(row.previous_secret))
    return Attempt(
        delivery_id=str(row.id),
        partner_id=int(row.partner_id),
        webhook_id=str(row.webhook_id),
        url=str(row.url),
        payload=bytes(row.payload),
        attempt=int(row.attempts),
        lease_token=token,
        secrets=tuple(secrets),
    )


def finish(conn: Connection, *, attempt: Attempt, outcome: Outcome, now: int) -> bool:
    """Store an attempt's outcome and release its lease; False when the lease is no longer the attempt's."""
    table = webhook_deliveries
    result = conn.execute(
        update(table)
        .where(table.c.id == attempt.delivery_id, table.c.lease_token == attempt.lease_token)
        .values(**asdict(outcome), lease_token=None, lease_until=None, updated_at=now)
    )
    return bool(result.rowcount)


def finish_delivered(conn: Connection, delivered: Sequence[tuple[Attempt, int]], *, now: int) -> None:
    """Store many delivered attempts (with their answers' status codes) in one statement, each only if its
    lease is still its own."""
    if not delivered:
        return
    table = webhook_deliveries
    statement = (
        update(table)
        .where(table.c.id == bindparam("attempt_id"), table.c.lease_token == bindparam("token"))
        .values(
            status="delivered",
            last_status_code=bindparam("code"),
            last_error=None,
            next_attempt_at=None,
            delivered_at=now,
            lease_token=None,
            lease_until=None,
            updated_at=now,
        )
    )
    rows = [{"attempt_id": a.delivery_id, "token": a.lease_token, "code": code} for a, code in delivered]
    conn.execute(statement, rows)


def delete_finished_before(conn: Connection, *, before: int, limit: int) -> int:
    """Delete up to ``limit`` delivered or failed deliveries last changed before ``before``; how many went."""
    table = webhook_deliveries
    old = (
        select(table.c.id)
        .where(table.c.status.in_(("delivered", "failed")), table.c.updated_at < before)
        .limit(limit)
    )
    ids = [str(row[0]) for row in conn.execute(old)]
    if ids:
        conn.execute(table.delete().where(table.c.id.in_(ids)))
    return len(ids)
