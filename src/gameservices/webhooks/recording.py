"""Storing what attempts ended in: delivered, tried again on the retry schedule, or ``failed``; and the endpoint's
health (five days of failures disable it)."""

from collections.abc import Sequence
from dataclasses import replace

from gameservices.storage import webhook_deliveries as deliveries
from gameservices.storage import webhooks
from gameservices.storage.database import Connection
from gameservices.storage.webhook_deliveries import Attempt, Outcome
from gameservices.webhooks.retry import failing_too_long, next_attempt_at
from gameservices.webhooks.sender import Sent

DISABLED_REASON = "every attempt failed for 5 days"


def outcome_of(attempt: Attempt, sent: Sent, now: int) -> Outcome:
    """The delivery's state after this attempt."""
    if sent.delivered:
        return Outcome("delivered", sent.status_code, None, None, delivered_at=now)
    retry_at = next_attempt_at(attempt.attempt, now)
    status = "pending" if retry_at is not None else "failed"
    return Outcome(status, sent.status_code, sent.error, retry_at, delivered_at=None)


def record(conn: Connection, results: Sequence[tuple[Attempt, Sent]], *, now: int) -> None:
    """Store the outcomes of attempts (those whose lease is still theirs: a dispatcher whose lease ran out no
    longer owns its delivery); deliveries in one statement, failures one by one."""
    delivered = [(attempt, sent.status_code or 200) for attempt, sent in results if sent.delivered]
    deliveries.finish_delivered(conn, delivered, now=now)
    for partner_id, webhook_id in sorted(
        {(attempt.partner_id, attempt.webhook_id) for attempt, _ in delivered}
    ):
        webhooks.note_success(conn, partner_id=partner_id, webhook_id=webhook_id)
    for attempt, sent in results:
        if not sent.delivered and deliveries.finish(
            conn, attempt=attempt, outcome=outcome_of(attempt, sent, now), now=now
        ):
            _note_failure(conn, attempt, now)


def _note_failure(conn: Connection, attempt: Attempt, now: int) -> None:
    hook = webhooks.note_failure(conn, partner_id=attempt.partner_id, webhook_id=attempt.webhook_id, now=now)
    if hook is not None and hook.status == "enabled" and failing_too_long(hook.failing_since, now):
        webhooks.update_webhook(
            conn, replace(hook, status="disabled", disabled_reason=DISABLED_REASON, updated_at=now)
        )
