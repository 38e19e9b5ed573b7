"""When a failed delivery is tried again: the Standard Webhooks schedule, then the dead letter (``failed``)."""

SECOND_MS = 1000
HOUR_MS = 3600 * SECOND_MS
# The delays after the 1st, 2nd, ... 7th failed attempt; the 8th failure is final.
SCHEDULE_MS = (
    5 * SECOND_MS,
    300 * SECOND_MS,
    1800 * SECOND_MS,
    2 * HOUR_MS,
    5 * HOUR_MS,
    10 * HOUR_MS,
    10 * HOUR_MS,
)
MAX_ATTEMPTS = len(SCHEDULE_MS) + 1
# An endpoint whose attempts have all failed for this long is disabled.
DISABLE_AFTER_MS = 5 * 24 * HOUR_MS


def next_attempt_at(attempts: int, now: int) -> int | None:
    """When to try again after the ``attempts``-th attempt failed at ``now``; None when it was the last."""
    if 1 <= attempts <= len(SCHEDULE_MS):
        return now + SCHEDULE_MS[attempts - 1]
    return None


def failing_too_long(failing_since: int | None, now: int) -> bool:
    """Whether an endpoint failing since then is to be disabled now."""
    return failing_since is not None and now - failing_since >= DISABLE_AFTER_MS
