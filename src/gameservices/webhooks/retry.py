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
# A receiver's Retry-After delays the next attempt by at most this much (the schedule's longest wait).
MAX_RETRY_AFTER_MS = 10 * HOUR_MS
# An endpoint whose attempts have all failed for this long is disabled.
DISABLE_AFTER_MS = 5 * 24 * HOUR_MS


def next_attempt_at(attempts: int, now: int) -> int | None:
    """When to try again after the ``attempts``-th attempt failed at ``now``; None when it was the last."""
    if 1 <= attempts <= len(SCHEDULE_MS):
        return now + SCHEDULE_MS[attempts - 1]
    return None


def honouring(retry_at: int, asked_at: int | None, now: int) -> int:
    """The next attempt's time once a receiver asked not to be tried again before ``asked_at`` (epoch ms): the
    later of the two, at most ``MAX_RETRY_AFTER_MS`` from now; the schedule's time when it did not ask."""
    if asked_at is None:
        return retry_at
    return max(retry_at, min(asked_at, now + MAX_RETRY_AFTER_MS))


def failing_too_long(failing_since: int | None, now: int) -> bool:
    """Whether an endpoint failing since then is to be disabled now."""
    return failing_since is not None and now - failing_since >= DISABLE_AFTER_MS
