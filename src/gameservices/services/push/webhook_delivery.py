"""The ``webhookDelivery`` controller: what was (or will be) sent to a partner's webhooks, and manual retries."""

from typing import Any

from gameservices.domain.timefmt import format_ms
from gameservices.errors import Conflict, InvalidEnumValue, ObjectNotFound
from gameservices.storage import log_wakeups
from gameservices.storage import webhook_deliveries as repository
from gameservices.storage.database import Connection
from gameservices.storage.webhook_deliveries import DeliveryRecord

STATUSES = ("pending", "delivered", "failed")


def list_page(
    conn: Connection,
    *,
    partner_id: int,
    webhook_id: str | None,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[int, list[DeliveryRecord]]:
    """A page of the partner's deliveries, newest first, optionally of one webhook or in one status."""
    if status is not None and status not in STATUSES:
        raise InvalidEnumValue("status", status, list(STATUSES))
    return repository.list_deliveries(
        conn, partner_id=partner_id, webhook_id=webhook_id, status=status, offset=offset, limit=limit
    )


def get(conn: Connection, *, partner_id: int, delivery_id: str) -> DeliveryRecord:
    """One of the partner's deliveries."""
    record = repository.get_delivery(conn, partner_id=partner_id, delivery_id=delivery_id)
    if record is None:
        raise ObjectNotFound(delivery_id, "Webhook delivery")
    return record


def retry(conn: Connection, *, partner_id: int, delivery_id: str, now_ms: int) -> DeliveryRecord:
    """Queue a failed delivery for one more attempt now (a failure makes it ``failed`` again)."""
    record = get(conn, partner_id=partner_id, delivery_id=delivery_id)
    if not repository.requeue(conn, partner_id=partner_id, delivery_id=delivery_id, now=now_ms):
        raise Conflict(
            f"Webhook delivery [{delivery_id}] is {record.status}: only a failed delivery is retried",
            code="WEBHOOK_DELIVERY_NOT_FAILED",
        )
    log_wakeups.notify(conn, partner_id)  # the dispatchers look now, not at their next interval
    return get(conn, partner_id=partner_id, delivery_id=record.id)


def view(record: DeliveryRecord) -> dict[str, Any]:
    """The API form of a delivery."""
    return {
        "id": record.id,
        "objectType": "WebhookDelivery",
        "partnerId": record.partner_id,
        "webhookId": record.webhook_id,
        "changeId": record.change_id,
        "type": record.type,
        "status": record.status,
        "attempts": record.attempts,
        "lastStatusCode": record.last_status_code,
        "lastError": record.last_error,
        "nextAttemptAt": None if record.next_attempt_at is None else format_ms(record.next_attempt_at),
        "createdAt": format_ms(record.created_at),
        "updatedAt": format_ms(record.updated_at),
    }
