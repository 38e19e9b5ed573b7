"""Reading the player's beacons and turning them into rule events (domain/beacons.py)."""

from typing import Any

import pytest

from gameservices.domain.beacons import Beacon, play_time, read_beacon, rule_event

VIEW = {
    "partnerId": "100",
    "eventType": "99",
    "entryId": "0_e",
    "sessionId": "s",
    "eventIndex": "4",
    "playTimeSum": "20.5",
}


@pytest.mark.parametrize(
    ("previous", "current", "added"),
    [
        (None, 0.052, 0.052),  # the session's first VIEW brings its whole sum
        (None, 45.0, 30.0),  # ... at most 30 s
        (10.0, 20.04, 10.04),
        (10.0, 10.0, 0.0),  # nothing new
        (10.0, 100.0, 30.0),  # more than a beacon can hold
        (80.0, 10.0, 10.0),  # the player reset its counters: the new sum is new play time
        (80.0, 45.0, 30.0),  # ... at most 30 s too
        (80.0, 0.0, 0.0),
    ],
)
def test_play_time(previous: float | None, current: float, added: float) -> None:
    assert play_time(previous, current) == pytest.approx(added)


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        (1, {"eventType": "playerImpression"}),
        (3, {"eventType": "play"}),
        (11, {"eventType": "quartile", "percent": 25}),
        (12, {"eventType": "quartile", "percent": 50}),
        (13, {"eventType": "quartile", "percent": 75}),
        (14, {"eventType": "quartile", "percent": 100}),  # KAVA's PLAY_REACHED_100_PERCENT
        (15, {"eventType": "quartile", "percent": 90}),  # KAVA's PLAY_REACHED_90_PERCENT
    ],
)
def test_event_types(event_type: int, expected: dict[str, Any]) -> None:
    beacon = read_beacon({**VIEW, "eventType": event_type})
    assert beacon is not None
    event = rule_event(beacon, "kim", play_time_added=None)
    assert event is not None
    assert {key: event[key] for key in expected} == expected
    assert (event["userId"], event["entryId"], event["sessionId"]) == ("kim", "0_e", "s")


def test_view_event() -> None:
    beacon = read_beacon({**VIEW, "virtualEventId": "7001", "playbackType": "live"})
    assert beacon is not None and beacon.play_time_sum == 20.5 and beacon.event_index == 4
    event = rule_event(beacon, "kim", play_time_added=10.0004)
    assert event is not None
    assert (event["eventType"], event["playTime"], event["virtualEventId"], event["playbackType"]) == (
        "viewPeriod",
        10.0,
        "7001",
        "live",
    )
    assert rule_event(beacon, "kim", play_time_added=0.0) is None


def _beacon(**changes: Any) -> Beacon:
    found = read_beacon({**VIEW, **changes})
    assert found is not None
    return found


def test_event_ids_tell_exact_repeats_only() -> None:
    first = _beacon().event_id("kim")
    assert first == _beacon().event_id("kim") and first.startswith("kava-") and len(first) <= 256
    others = {
        _beacon(eventIndex="5").event_id("kim"),
        _beacon(playTimeSum="20.6").event_id("kim"),
        _beacon(position="3").event_id("kim"),
        _beacon(sessionId="t").event_id("kim"),
        _beacon(entryId="0_f").event_id("kim"),
        _beacon(eventType="3").event_id("kim"),
        _beacon().event_id("lee"),
    }
    assert first not in others and len(others) == 7


@pytest.mark.parametrize(
    "changes",
    [
        {"partnerId": None},
        {"partnerId": "0"},
        {"partnerId": "-3"},
        {"partnerId": "2147483648"},
        {"partnerId": "1.5"},
        {"partnerId": True},
        {"eventType": "2"},  # PLAY_REQUEST: not scored
        {"eventType": "99.5"},
        {"entryId": ""},
        {"entryId": "   "},
        {"entryId": "a" * 257},
        {"entryId": "a\ud800"},
        {"entryId": "a\nb"},
        {"entryId": ["0_e"]},
        {"sessionId": None},
        {"playTimeSum": None},
        {"playTimeSum": "-1"},
        {"playTimeSum": "inf"},
        {"playTimeSum": "nan"},
        {"playTimeSum": "1e300"},
        {"playTimeSum": "ten"},
        {"playTimeSum": "9" * 100},
    ],
)
def test_beacons_not_scored(changes: dict[str, Any]) -> None:
    assert read_beacon({**VIEW, **changes}) is None


def test_optional_parts_that_are_garbage_are_left_out() -> None:
    beacon = read_beacon({**VIEW, "position": "far", "userId": {"a": 1}, "eventIndex": "x", "ks": ""})
    assert beacon is not None
    assert (beacon.position, beacon.user_id, beacon.event_index, beacon.ks) == (None, None, 0, None)
    assert read_beacon({**VIEW, "partnerId": 100, "eventType": 99, "playTimeSum": 20}) is not None


@pytest.mark.parametrize(
    ("previous_index", "index", "added"),
    [(5, 2, 10.07), (5, 6, 0.02), (None, 2, 0.02), (5, None, 0.02)],
)
def test_an_index_going_down_is_a_reset(previous_index: int | None, index: int | None, added: float) -> None:
    assert play_time(10.05, 10.07, previous_index, index) == pytest.approx(added)
