"""Storing what attempts ended in: delivered, tried again on the retry schedule, or ``failed``; and the endpoint's
health (five days of failures disable it)."""

from collections.abc import Sequence

from gameservices.storage import webhook_deliveries as deliveries
from gameservices.storage import webhooks
from gameservices.storage.database import Connection
from gameservices.storage.webhook_deliveries import Attempt, Outcome
from gameservices.webhooks.retry import failing_too_long, honouring, next_attempt_at
from gameservices.webhooks.sender import Sent

DISABLED_REASON = "every attempt failed for 5 days"
GONE_REASON = "the endpoint answered 410 Gone"
GONE = 410


def outcome_of(attempt: Attempt, sent: Sent, now: int) -> Outcome:
    """The delivery's state after this attempt."""
    if sent.delivered:
        return Outcome("delivered", sent.status_code, None, None, delivered_at=now)
    retry_at = next_attempt_at(attempt.attempt, now)
    if retry_at is not None:
        asked = None if sent.retry_after is None else now + int(sent.retry_after * 1000)
        retry_at = honouring(retry_at, asked, now)
    status = "pending" if retry_at is not None else "failed"
    return Outcome(status, sent.status_code, sent.error, retry_at, delivered_at=None)


def record(conn: Connection, results: Sequence[tuple[Attempt, Sent]], *, now: int) -> None:
    """Store the outcomes of attempts (those whose lease is still theirs: a dispatcher whose lease ran out no
    longer owns its delivery); deliveries in one statement, failures one by one. The webhooks' rows are locked
    first, as `webhook/delete` and the fan-out take them before their deliveries' rows (in another order, two of
    them would wait for each other on PostgreSQL)."""
    webhooks.lock_webhooks(conn, ((attempt.partner_id, attempt.webhook_id) for attempt, _ in results))
    delivered = [(attempt, sent.status_code or 200) for attempt, sent in results if sent.delivered]
    deliveries.finish_delivered(conn, delivered, now=now)
    for partner_id, webhook_id in sorted(
        {(attempt.partner_id, attempt.webhook_id) for attempt, _ in delivered}
    ):
        webhooks.note_success(conn, partner_id=partner_id, webhook_id=webhook_id)
    for attempt, sent in results:
        if sent.delivered:
            continue
        outcome = outcome_of(attempt, sent, now)
        if deliveries.finish(conn, attempt=attempt, outcome=outcome, now=now):
            _note_failure(conn, attempt, sent, now)
            if sent.retry_after is not None and outcome.next_attempt_at is not None:
                # The receiver asked to be left alone: its other waiting deliveries wait as long.
                deliveries.postpone(
                    conn,
                    partner_id=attempt.partner_id,
                    webhook_id=attempt.webhook_id,
                    until=outcome.next_attempt_at,
                    now=now,
                )


def _note_failure(conn: Connection, attempt: Attempt, sent: Sent, now: int) -> None:
    hook = webhooks.note_failure(conn, partner_id=attempt.partner_id, webhook_id=attempt.webhook_id, now=now)
    if hook is None or hook.status != "enabled":
        return
    # 410 Gone: the receiver says the endpoint is no more (Standard Webhooks: disable it at once).
    reason = GONE_REASON if sent.status_code == GONE else None
    if reason is None and failing_too_long(hook.failing_since, now):
        reason = DISABLED_REASON
    if reason is not None:
        webhooks.disable_webhook(
            conn, partner_id=attempt.partner_id, webhook_id=attempt.webhook_id, reason=reason, now=now
        )
