"""Repository of webhook deliveries (``webhookDelivery``): storing them, listing them, and claiming attempts.

An attempt is claimed by writing a fresh lease token with the time the lease runs out: a delivery is due when
it is pending, its next attempt time has come and no live lease holds it. Candidates are locked with ``FOR
UPDATE SKIP LOCKED`` on PostgreSQL (SQLite's write lock serialises claims), so each attempt has one owner; an
outcome is stored only under the token it was claimed with, so a dispatcher whose lease ran out cannot overwrite
the attempt another one made since.
"""

from collections.abc import Mapping, Sequence
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


_T = webhook_deliveries
_OF_WEBHOOK = (webhooks.c.partner_id == _T.c.partner_id) & (webhooks.c.id == _T.c.webhook_id)
# The claim's statements are built once: the dispatcher runs them many times a second.
_DUE_NOW = (
    _T.c.status == "pending",
    _T.c.next_attempt_at <= bindparam("due_at"),
    or_(_T.c.lease_until.is_(None), _T.c.lease_until <= bindparam("due_at")),
    or_(webhooks.c.status == "enabled", _T.c.type == TEST_TYPE),
)
_DUE = (
    select(_T.c.id, _T.c.webhook_id)
    .join(webhooks, _OF_WEBHOOK)
    .where(*_DUE_NOW, _T.c.webhook_id.not_in(bindparam("full", expanding=True)))
    .order_by(_T.c.next_attempt_at, _T.c.id)
    .limit(bindparam("most"))
    .with_for_update(skip_locked=True, of=_T)
)
_ANY_DUE = select(_T.c.id).join(webhooks, _OF_WEBHOOK).where(*_DUE_NOW).limit(1)
_LEASE = (
    update(_T)
    .where(_T.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        attempts=_T.c.attempts + 1,
        lease_token=bindparam("claim_token"),
        lease_until=bindparam("claim_until"),
        updated_at=bindparam("claim_at"),
    )
)
_CLAIMED = (
    select(
        _T.c.id,
        _T.c.partner_id,
        _T.c.webhook_id,
        _T.c.payload,
        _T.c.attempts,
        webhooks.c.url,
        webhooks.c.secret,
        webhooks.c.previous_secret,
        webhooks.c.previous_secret_expires_at,
    )
    .join(webhooks, _OF_WEBHOOK)
    .where(_T.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_T.c.next_attempt_at, _T.c.id)
)


def any_due(conn: Connection, *, now: int) -> bool:
    """Whether some attempt is due at ``now`` (a read: no lock is taken, nothing is claimed)."""
    return conn.execute(_ANY_DUE, {"due_at": now}).first() is not None


def claim_due(
    conn: Connection,
    *,
    now: int,
    limit: int,
    lease_ms: int,
    token: str,
    per_webhook: int | None = None,
    held: Mapping[str, int] | None = None,
) -> list[Attempt]:
    """Claim up to ``limit`` due attempts (earliest first) under ``token`` until ``now + lease_ms``.

    Deliveries of a disabled webhook wait (``webhook/test`` messages excepted). With ``per_webhook``, a webhook
    gets at most that many attempts claimed, counting the ``held`` ones (webhook id -> attempts the caller
    holds already), so one webhook's backlog cannot take every place."""
    held = held or {}
    full = sorted(w for w, count in held.items() if per_webhook is not None and count >= per_webhook)
    found = [(str(r[0]), str(r[1])) for r in conn.execute(_DUE, {"due_at": now, "full": full, "most": limit})]
    ids = [d for d, _ in found] if per_webhook is None else _within_room(found, per_webhook, held)
    if not ids:
        return []
    lease = {"ids": ids, "claim_token": token, "claim_until": now + lease_ms, "claim_at": now}
    conn.execute(_LEASE, lease)
    return [_attempt(row, token, now) for row in conn.execute(_CLAIMED, {"ids": ids})]


def _within_room(candidates: list[tuple[str, str]], per_webhook: int, held: Mapping[str, int]) -> list[str]:
    """The ids of the candidates (delivery id, webhook id) that fit under ``per_webhook``, in order."""
    taken = dict(held)
    ids: list[str] = []
    for delivery_id, webhook_id in candidates:
        if taken.get(webhook_id, 0) < per_webhook:
            ids.append(delivery_id)
            taken[webhook_id] = taken.get(webhook_id, 0) + 1
    return ids


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


_DELIVERED = (
    update(_T)
    .where(_T.c.id == bindparam("attempt_id"), _T.c.lease_token == bindparam("token"))
    .values(
        status="delivered",
        last_status_code=bindparam("code"),
        last_error=None,
        next_attempt_at=None,
        delivered_at=bindparam("done_at"),
        lease_token=None,
        lease_until=None,
        updated_at=bindparam("done_at"),
    )
)


def finish_delivered(conn: Connection, delivered: Sequence[tuple[Attempt, int]], *, now: int) -> None:
    """Store many delivered attempts (with their answers' status codes) in one statement, each only if its
    lease is still its own."""
    if delivered:
        rows = [
            {"attempt_id": a.delivery_id, "token": a.lease_token, "code": code, "done_at": now}
            for a, code in delivered
        ]
        conn.execute(_DELIVERED, rows)


def postpone(conn: Connection, *, partner_id: int, webhook_id: str, until: int, now: int) -> None:
    """Move a webhook's pending deliveries due before ``until`` (and not leased now) to ``until``; their attempts
    are not counted."""
    table = webhook_deliveries
    conn.execute(
        update(table)
        .where(
            table.c.partner_id == partner_id,
            table.c.webhook_id == webhook_id,
            table.c.status == "pending",
            table.c.next_attempt_at < until,
            or_(table.c.lease_until.is_(None), table.c.lease_until <= now),
        )
        .values(next_attempt_at=until, updated_at=now)
    )


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
