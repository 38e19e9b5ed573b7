"""Which requests the rate limiter takes for player beacons (they have a bucket of their own), from the path and
query string alone: every spelling the API v3 router answers as analytics.trackEvent."""

import pytest

from gameservices.api.v3.analytics import is_beacon


@pytest.mark.parametrize(
    ("path", "query", "beacon"),
    [
        ("/api_v3/service/analytics/action/trackEvent", b"eventType=3", True),
        ("/api_v3/index.php/service/analytics/action/trackEvent", b"eventType=3", True),
        ("/api_v3/index.php", b"service=analytics&action=trackEvent", True),
        ("/api_v3/", b"service=ANALYTICS&action=trackevent", True),
        ("/api_v3/index.php", b"service=session&action=start", False),
        ("/api_v3/service/session/action/start", b"", False),
        ("/api/v1/event/send", b"service=analytics&action=trackEvent", False),
    ],
)
def test_beacon_spellings(path: str, query: bytes, beacon: bool) -> None:
    assert is_beacon({"type": "http", "path": path, "query_string": query}) is beacon
