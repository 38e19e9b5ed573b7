"""Turning each partner's change feed into deliveries: one per (matching enabled webhook, change), made in the
transaction that moves the partner's cursor past the changes, with the cursor row locked, so that however many
dispatchers run, each change gives each webhook exactly one delivery."""

import json
import weakref
from typing import Any

import orjson

from gameservices import feed
from gameservices.domain.ids import new_object_id
from gameservices.domain.timefmt import format_ms
from gameservices.storage import webhook_deliveries as deliveries
from gameservices.storage import webhooks
from gameservices.storage.database import Connection, Engine, read_transaction, write_transaction
from gameservices.storage.webhook_deliveries import DeliveryRecord
from gameservices.storage.webhooks import WebhookRecord

# Changes taken per partner and transaction, and partners looked at per pass.
CHANGES_PER_PASS = 500
PARTNERS_PER_PASS = 100
# The last partner each engine's previous pass took (the next pass goes on after it).
_last_taken: "weakref.WeakKeyDictionary[Engine, int]" = weakref.WeakKeyDictionary()
# Largest body sent; a larger one is recorded failed at once (changes are far smaller).
MAX_BODY_BYTES = 256 * 1024


def fan_out(engine: Engine, now: int) -> int:
    """Make the deliveries of every partner whose feed moved past its cursor; how many changes were taken (0:
    every cursor is at its feed's head, or held by another dispatcher).

    A pass takes up to PARTNERS_PER_PASS partners, in turn: those after the last one the previous pass took,
    then from the first. Taken from the first every time, partners beyond that many busy ones never had a turn."""
    after = _last_taken.get(engine, 0)
    with read_transaction(engine) as conn:
        partner_ids = webhooks.lagging_partners(conn, limit=PARTNERS_PER_PASS, end=feed.END, after=after)
        if len(partner_ids) < PARTNERS_PER_PASS and after:
            wrapped = webhooks.lagging_partners(
                conn, limit=PARTNERS_PER_PASS - len(partner_ids), end=feed.END
            )
            partner_ids += [partner_id for partner_id in wrapped if partner_id <= after]
    if partner_ids:
        _last_taken[engine] = partner_ids[-1]
    taken = 0
    for partner_id in partner_ids:
        with write_transaction(engine) as conn:
            taken += fan_out_partner(conn, partner_id, now=now)
    return taken


def fan_out_partner(conn: Connection, partner_id: int, *, now: int) -> int:
    """Make the deliveries of the partner's next changes and move its cursor past them; how many changes were
    taken (0 when another dispatcher holds the partner)."""
    cursor = webhooks.claim_cursor(conn, partner_id)
    if cursor is None:
        return 0
    # The head first, then the webhooks, and no change past that head: a webhook enabled again after the head was
    # read (its since_seq at or past it) is in the list, or its changes wait for the next pass. Read the other way
    # round (PostgreSQL reads what is committed statement by statement), a change committed after the list was
    # read went past the cursor without a delivery for a webhook enabled just before it.
    head = feed.head(conn, partner_id)
    hooks = webhooks.enabled_webhooks(conn, partner_id)
    page = feed.scan(conn, partner_id, after=cursor, limit=CHANGES_PER_PASS, through=head[0])
    made = [
        delivery(hook, change, now=now) for change in page.changes for hook in hooks if matches(hook, change)
    ]
    deliveries.insert_deliveries(conn, made)
    position = page.position
    if not page.changes and position <= cursor:
        # Nothing is kept after the cursor up to the head read before the scan (retention deleted what it had not
        # reached): the cursor goes on from there, instead of being found lagging at every pass.
        position = max(cursor, head)
    webhooks.move_cursor(conn, partner_id=partner_id, position=position, now=now)
    return len(page.changes)


def matches(hook: WebhookRecord, change: feed.Change) -> bool:
    """Whether the webhook asked for this change: made after it was enabled, of its types and game objects."""
    if change.seq <= hook.since_seq or change.type not in hook.event_types:
        return False
    return hook.game_object_ids is None or change.game_object_id in hook.game_object_ids


def delivery(hook: WebhookRecord, change: feed.Change, *, now: int) -> DeliveryRecord:
    """The pending delivery of a change to a webhook, its body fixed for every attempt."""
    body = _json({"type": change.type, "timestamp": format_ms(change.at_ms), "data": change.data})
    too_large = len(body) > MAX_BODY_BYTES
    return DeliveryRecord(
        id=new_object_id(),
        partner_id=hook.partner_id,
        webhook_id=hook.id,
        change_id=change.id,
        type=change.type,
        payload=body,
        status="failed" if too_large else "pending",
        attempts=0,
        last_status_code=None,
        last_error=f"the body is larger than {MAX_BODY_BYTES} bytes" if too_large else None,
        next_attempt_at=None if too_large else now,
        lease_token=None,
        lease_until=None,
        delivered_at=None,
        created_at=now,
        updated_at=now,
    )


def _json(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits, which orjson does not write
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
