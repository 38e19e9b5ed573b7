"""The retry schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then the dead letter; five days to disable."""

import pytest

from gameservices.webhooks.retry import MAX_ATTEMPTS, failing_too_long, next_attempt_at

HOUR = 3600


@pytest.mark.parametrize(
    ("attempts", "delay_seconds"),
    [(1, 5), (2, 300), (3, 1800), (4, 2 * HOUR), (5, 5 * HOUR), (6, 10 * HOUR), (7, 10 * HOUR)],
)
def test_the_delay_after_each_failed_attempt(attempts: int, delay_seconds: int) -> None:
    assert next_attempt_at(attempts, 1_000) == 1_000 + delay_seconds * 1000


@pytest.mark.parametrize("attempts", [MAX_ATTEMPTS, MAX_ATTEMPTS + 1, 0])
def test_after_the_eighth_attempt_there_is_none(attempts: int) -> None:
    assert MAX_ATTEMPTS == 8
    assert next_attempt_at(attempts, 1_000) is None


def test_five_days_of_failures_disable() -> None:
    five_days = 5 * 24 * HOUR * 1000
    assert not failing_too_long(None, five_days)
    assert not failing_too_long(1, five_days)
    assert failing_too_long(0, five_days)
