"""The calendar of recurring leaderboard periods and a leaderboard's timeline (domain/periods.py)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameservices.domain.errors import DomainValidationError
from gameservices.domain.periods import ClosedPeriod, Recurrence, Timeline, event_ms, parse_recurrence


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def weekly(anchor: str, zone: str) -> Recurrence:
    return parse_recurrence({"unit": "week", "interval": 1, "anchor": anchor, "timezone": zone})


# Worked out by hand: Mondays at local midnight; Berlin changes its clocks on 2026-03-29 and 2026-10-25,
# New York on 2026-03-08 and 2026-11-01.
BY_HAND = {
    ("2026-03-16T00:00:00", "Europe/Berlin"): [
        "2026-03-15T23:00:00+00:00",
        "2026-03-22T23:00:00+00:00",
        "2026-03-29T22:00:00+00:00",
        "2026-04-05T22:00:00+00:00",
    ],
    ("2026-10-12T00:00:00", "Europe/Berlin"): [
        "2026-10-11T22:00:00+00:00",
        "2026-10-18T22:00:00+00:00",
        "2026-10-25T23:00:00+00:00",
        "2026-11-01T23:00:00+00:00",
    ],
    ("2026-03-02T00:00:00", "America/New_York"): [
        "2026-03-02T05:00:00+00:00",
        "2026-03-09T04:00:00+00:00",
        "2026-03-16T04:00:00+00:00",
    ],
    ("2026-10-26T00:00:00", "America/New_York"): [
        "2026-10-26T04:00:00+00:00",
        "2026-11-02T05:00:00+00:00",
        "2026-11-09T05:00:00+00:00",
    ],
}


@pytest.mark.parametrize(("anchor", "zone"), list(BY_HAND))
def test_weekly_boundaries_across_dst_match_dates_worked_out_by_hand(anchor: str, zone: str) -> None:
    recurrence = weekly(anchor, zone)
    expected = [ms(text) for text in BY_HAND[(anchor, zone)]]
    assert [recurrence.boundary(n) for n in range(len(expected))] == expected


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_weekly_boundaries_for_a_year_equal_a_walk_through_utc_hours(zone: str) -> None:
    # Independent of the code under test: walk UTC hour by hour, convert to local time (UTC to local, the
    # other direction) and keep the instants that read Monday 00:00 locally.
    tz = ZoneInfo(zone)
    start = datetime(2026, 1, 4, 12, tzinfo=UTC)
    walked = []
    for hour in range(0, 24 * 7 * 60):
        instant = start + timedelta(hours=hour)
        local = instant.astimezone(tz)
        if local.weekday() == 0 and local.hour == 0 and local.minute == 0:
            walked.append(int(instant.timestamp() * 1000))
    recurrence = weekly("2026-01-05T00:00:00", zone)
    assert walked[0] == recurrence.boundary(0)
    assert [recurrence.boundary(n) for n in range(len(walked))] == walked
    for n, boundary in enumerate(walked[:-1]):
        assert recurrence.count(boundary - 1) == max(n - 1, 0)
        assert recurrence.count(boundary) == n


def test_a_skipped_local_time_moves_forward_and_months_keep_their_day() -> None:
    daily = parse_recurrence(
        {"unit": "day", "interval": 1, "anchor": "2026-03-28T02:30:00", "timezone": "Europe/Berlin"}
    )
    assert daily.boundary(1) == ms("2026-03-29T01:30:00+00:00")  # 02:30 does not exist: 03:30 CEST
    assert daily.boundary(2) == ms("2026-03-30T00:30:00+00:00")
    monthly = parse_recurrence(
        {"unit": "month", "interval": 1, "anchor": "2026-01-31T00:00:00", "timezone": "UTC"}
    )
    assert [monthly.boundary(n) for n in range(4)] == [
        ms("2026-01-31T00:00:00+00:00"),
        ms("2026-02-28T00:00:00+00:00"),
        ms("2026-03-31T00:00:00+00:00"),
        ms("2026-04-30T00:00:00+00:00"),
    ]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"unit": "year"}, "recurrence.unit"),
        ({"interval": 0}, "recurrence.interval"),
        ({"interval": True}, "recurrence.interval"),
        ({"timezone": "Nowhere/Else"}, "recurrence.timezone"),
        ({"timezone": "/etc/passwd"}, "recurrence.timezone"),
        ({"anchor": "2026-01-01T00:00:00Z"}, "recurrence.anchor"),
        ({"anchor": "soon"}, "recurrence.anchor"),
        ({"graceSeconds": -5}, "recurrence.graceSeconds"),
    ],
)
def test_bad_recurrences_name_their_field(raw: dict[str, object], field: str) -> None:
    good = {"unit": "day", "interval": 1, "anchor": "2026-01-01T00:00:00", "timezone": "UTC"}
    with pytest.raises(DomainValidationError) as caught:
        parse_recurrence({**good, **raw})
    assert caught.value.field == field


def test_periods_hold_their_start_and_not_their_end() -> None:
    timeline = Timeline(weekly("2026-03-16T00:00:00", "Europe/Berlin"), since_ms=0)
    start, end = timeline.bounds(2)
    assert timeline.index_of(end - 1) == 2 and timeline.index_of(end) == 3 and timeline.index_of(start) == 2
    assert timeline.index_of(ms("2020-01-01T00:00:00+00:00")) == 0  # before the anchor: period 0
    assert event_ms((end - 1) / 1000) == end - 1 and event_ms(end / 1000) == end


def test_an_early_close_splits_a_period_and_shifts_later_indexes() -> None:
    recurrence = weekly("2026-03-16T00:00:00", "Europe/Berlin")
    b = recurrence.boundary
    timeline = Timeline(recurrence, since_ms=b(0))
    middle = (b(1) + b(2)) // 2
    closed = timeline.with_closed(ClosedPeriod(0, b(0), b(1), b(1) + 60_000))
    closed = closed.with_closed(ClosedPeriod(1, b(1), middle, middle))
    assert closed.bounds(2) == (middle, b(2)) and closed.bounds(3) == (b(2), b(3))
    assert closed.index_of(middle - 1) == 1 and closed.index_of(middle) == 2 and closed.index_of(b(2)) == 3
    assert closed.assign(middle - 1) == 2  # its period closed: the oldest open one
    assert closed.next_to_close() == 2


def test_periods_that_ended_before_the_recurrence_was_set_never_close() -> None:
    recurrence = weekly("2026-03-16T00:00:00", "Europe/Berlin")
    timeline = Timeline(recurrence, since_ms=recurrence.boundary(3) + 5)
    assert timeline.first_closable() == 3
    closed = timeline.with_closed(ClosedPeriod(3, recurrence.boundary(3), recurrence.boundary(4), 0))
    assert closed.assign(recurrence.boundary(1)) == 1  # back-filled into a period that never closes
    assert closed.assign(recurrence.boundary(3)) == 4


@settings(max_examples=200, deadline=None)
@given(
    unit=st.sampled_from(["day", "week", "month"]),
    interval=st.integers(1, 5),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
    offset=st.integers(-(10**10), 10**11),
)
def test_every_instant_lies_in_the_period_its_index_names(
    unit: str, interval: int, zone: str, offset: int
) -> None:
    recurrence = parse_recurrence(
        {"unit": unit, "interval": interval, "anchor": "2026-03-01T00:30:00", "timezone": zone}
    )
    at = recurrence.boundary(0) + offset
    timeline = Timeline(recurrence, since_ms=0)
    index = timeline.index_of(at)
    start, end = timeline.bounds(index)
    assert end > start
    assert (start <= at or index == 0) and at < end
