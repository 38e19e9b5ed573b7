"""The ``webhook`` controller: a partner's endpoints that receive its changes, signed (docs/webhooks.md)."""

from dataclasses import dataclass, replace
from typing import Any

import orjson

from gameservices import feed
from gameservices.domain.ids import new_object_id
from gameservices.domain.timefmt import format_ms
from gameservices.errors import Conflict, InvalidEnumValue, ObjectNotFound, ValidationFailed
from gameservices.storage import log_wakeups
from gameservices.storage import webhook_deliveries as deliveries
from gameservices.storage import webhooks as repository
from gameservices.storage.database import Connection
from gameservices.storage.webhook_deliveries import TEST_TYPE, DeliveryRecord
from gameservices.storage.webhooks import WebhookRecord
from gameservices.webhooks.signing import new_secret
from gameservices.webhooks.targets import TargetPolicy, TargetRefused

# The change types of DESIGN.md section 9 a webhook may ask for.
EVENT_TYPES = tuple(sorted(feed.TYPES))
STATUSES = ("enabled", "disabled")
MAX_WEBHOOKS = 100
# After a rotation the previous secret signs too for this long, so receivers can switch without losing messages.
ROTATION_OVERLAP_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class WebhookInput:
    """What ``webhook/create`` or ``webhook/update`` asks for; None leaves a field as it is on update."""

    url: str | None = None
    event_types: list[str] | None = None
    game_object_ids: list[str] | None = None
    description: str | None = None
    status: str | None = None
    # Fields the update names with null: they are cleared.
    cleared: frozenset[str] = frozenset()


def create(
    conn: Connection, *, partner_id: int, fields: WebhookInput, targets: TargetPolicy, now_ms: int
) -> WebhookRecord:
    """A new webhook with a fresh secret."""
    if fields.url is None or fields.event_types is None:
        raise ValidationFailed("url" if fields.url is None else "eventTypes", "is required")
    # The partner's feed cursor, made if need be and locked: creates of one partner count its webhooks one after
    # another, so two racing for the last place cannot both take it.
    repository.ensure_cursor(conn, partner_id=partner_id, position=feed.head(conn, partner_id), now=now_ms)
    repository.lock_cursor(conn, partner_id=partner_id)
    total, _ = repository.list_webhooks(conn, partner_id=partner_id, status=None, offset=0, limit=1)
    if total >= MAX_WEBHOOKS:
        raise Conflict(f"A partner may have at most {MAX_WEBHOOKS} webhooks", code="WEBHOOK_LIMIT_REACHED")
    record = WebhookRecord(
        id=new_object_id(),
        partner_id=partner_id,
        url=_checked_url(fields.url, targets),
        event_types=_event_types(fields.event_types),
        game_object_ids=fields.game_object_ids or None,
        description=fields.description,
        status=_status("enabled" if fields.status is None else fields.status),
        secret=new_secret(),
        previous_secret=None,
        previous_secret_expires_at=None,
        since_seq=repository.log_seq(conn, partner_id),
        failing_since=None,
        disabled_reason=None,
        created_at=now_ms,
        updated_at=now_ms,
    )
    repository.insert_webhook(conn, record)
    return record


def get(conn: Connection, *, partner_id: int, webhook_id: str, lock: bool = False) -> WebhookRecord:
    """One of the partner's webhooks (`lock`: read to be changed, its row locked)."""
    record = repository.get_webhook(conn, partner_id=partner_id, webhook_id=webhook_id, lock=lock)
    if record is None:
        raise ObjectNotFound(webhook_id, "Webhook")
    return record


def list_page(
    conn: Connection, *, partner_id: int, status: str | None, offset: int, limit: int
) -> tuple[int, list[WebhookRecord]]:
    """A page of the partner's webhooks, newest first."""
    return repository.list_webhooks(
        conn,
        partner_id=partner_id,
        status=None if status is None else _status(status),
        offset=offset,
        limit=limit,
    )


def update(
    conn: Connection,
    *,
    partner_id: int,
    webhook_id: str,
    fields: WebhookInput,
    targets: TargetPolicy,
    now_ms: int,
) -> WebhookRecord:
    """Change a webhook; enabling it again delivers only the changes made from then on."""
    record = get(conn, partner_id=partner_id, webhook_id=webhook_id, lock=True)
    for required in ("url", "eventTypes", "status"):
        if required in fields.cleared:
            raise ValidationFailed(required, "may not be null")
    changed = replace(
        record,
        url=record.url if fields.url is None else _checked_url(fields.url, targets),
        event_types=record.event_types if fields.event_types is None else _event_types(fields.event_types),
        # An empty list is no filter, as on create.
        game_object_ids=_kept(record.game_object_ids, fields.game_object_ids, "gameObjectIds", fields)
        or None,
        description=_kept(record.description, fields.description, "description", fields),
        status=record.status if fields.status is None else _status(fields.status),
        updated_at=now_ms,
    )
    if changed.status != record.status:
        changed = _with_status(conn, changed, changed.status)
    repository.update_webhook(conn, changed)
    return changed


def delete(conn: Connection, *, partner_id: int, webhook_id: str) -> dict[str, Any]:
    """Delete a webhook and its deliveries."""
    if not repository.delete_webhook(conn, partner_id=partner_id, webhook_id=webhook_id):
        raise ObjectNotFound(webhook_id, "Webhook")
    deliveries.delete_of_webhook(conn, partner_id=partner_id, webhook_id=webhook_id)
    return {"id": webhook_id, "deleted": True}


def rotate_secret(conn: Connection, *, partner_id: int, webhook_id: str, now_ms: int) -> WebhookRecord:
    """A new secret; the one it replaces keeps signing for 24 hours (an older previous one stops now)."""
    record = get(conn, partner_id=partner_id, webhook_id=webhook_id, lock=True)
    rotated = replace(
        record,
        secret=new_secret(),
        previous_secret=record.secret,
        previous_secret_expires_at=now_ms + ROTATION_OVERLAP_MS,
        updated_at=now_ms,
    )
    repository.update_webhook(conn, rotated)
    return rotated


def test(conn: Connection, *, partner_id: int, webhook_id: str, now_ms: int) -> DeliveryRecord:
    """Queue a ``webhook.test`` message to the webhook (sent even while it is disabled)."""
    record = get(conn, partner_id=partner_id, webhook_id=webhook_id)
    body = {"type": TEST_TYPE, "timestamp": format_ms(now_ms), "data": {"webhookId": record.id}}
    delivery = DeliveryRecord(
        id=new_object_id(),
        partner_id=partner_id,
        webhook_id=record.id,
        change_id=None,
        type=TEST_TYPE,
        payload=orjson.dumps(body),
        status="pending",
        attempts=0,
        last_status_code=None,
        last_error=None,
        next_attempt_at=now_ms,
        lease_token=None,
        lease_until=None,
        delivered_at=None,
        created_at=now_ms,
        updated_at=now_ms,
    )
    deliveries.insert_deliveries(conn, [delivery])
    log_wakeups.notify(conn, partner_id)  # the dispatchers look now, not at their next interval
    return delivery


def view(record: WebhookRecord, *, with_secret: bool = False) -> dict[str, Any]:
    """The API form of a webhook; the secret only in the answers of create and rotateSecret."""
    shown: dict[str, Any] = {
        "id": record.id,
        "objectType": "Webhook",
        "partnerId": record.partner_id,
        "url": record.url,
        "eventTypes": record.event_types,
        "gameObjectIds": record.game_object_ids,
        "description": record.description,
        "status": record.status,
        "disabledReason": record.disabled_reason,
        "failingSince": _time(record.failing_since),
        "previousSecretExpiresAt": _time(record.previous_secret_expires_at),
        "createdAt": format_ms(record.created_at),
        "updatedAt": format_ms(record.updated_at),
    }
    if with_secret:
        shown["secret"] = record.secret
    return shown


def _with_status(conn: Connection, record: WebhookRecord, status: str) -> WebhookRecord:
    if status == "enabled":
        # Changes made while the webhook was off are not sent to it.
        since = repository.log_seq(conn, record.partner_id)
        return replace(record, since_seq=since, failing_since=None, disabled_reason=None)
    return replace(record, disabled_reason=None)


def _checked_url(url: str, targets: TargetPolicy) -> str:
    try:
        return targets.check(url.strip())
    except TargetRefused as error:
        raise ValidationFailed("url", str(error)) from error


def _event_types(types: list[str]) -> list[str]:
    if not types:
        raise ValidationFailed("eventTypes", "name at least one change type")
    for name in types:
        if name not in EVENT_TYPES:
            raise InvalidEnumValue("eventTypes", name, list(EVENT_TYPES))
    return sorted(set(types))


def _status(status: str) -> str:
    if status not in STATUSES:
        raise InvalidEnumValue("status", status, list(STATUSES))
    return status


def _kept(old: Any, new: Any, name: str, fields: WebhookInput) -> Any:
    if name in fields.cleared:
        return None
    return old if new is None else new


def _time(ms: int | None) -> str | None:
    return None if ms is None else format_ms(ms)
