"""Event normalisation: required fields, user identity, times, ids, categories, field values, refusals."""

from datetime import UTC, datetime

import pytest

from gameservices.domain.errors import EventRejected
from gameservices.domain.events import NormalizedBatch, normalize_event, normalize_events

RECEIVED = 1_750_000_000.0


def test_a_full_event() -> None:
    event = normalize_event(
        {
            "eventType": "viewPeriod",
            "userId": "ann@example.com",
            "eventId": 42,
            "eventTime": "2025-06-01T10:00:00Z",
            "entryId": "0_abc",
            "categories": "c1, c2,,c3",
            "virtualEventId": 12345,
            "playTime": 30,
            "like": True,
            "score": 1.5,
            "tags": ["a", 1],
            "note": None,
        },
        received_at=RECEIVED,
    )
    when = datetime(2025, 6, 1, 10, tzinfo=UTC).timestamp()
    assert (event.event_type, event.user_id, event.event_time, event.event_id) == (
        "viewPeriod",
        "ann@example.com",
        when,
        "42",
    )
    assert event.virtual_event_id == "12345"
    assert event.fields == {
        "eventType": "viewPeriod",
        "userId": "ann@example.com",
        "kuserId": "ann@example.com",
        "eventId": 42,
        "eventTime": when,
        "entryId": "0_abc",
        "categories": ("c1", "c2", "c3"),
        "virtualEventId": 12345,
        "playTime": 30,
        "like": True,
        "score": 1.5,
        "tags": ("a", 1),
        "note": None,
    }


# (extra fields, expected (user id, event time, categories))
ACCEPTED = [
    ({"kuserId": "u1"}, ("u1", RECEIVED, None)),
    ({"userId": "u1", "kuserId": "u1"}, ("u1", RECEIVED, None)),
    ({"kuserId": 1234}, ("1234", RECEIVED, None)),
    ({"userId": "u1", "eventTime": 1_700_000_000}, ("u1", 1_700_000_000.0, None)),
    ({"userId": "u1", "eventTime": "1700000000"}, ("u1", 1_700_000_000.0, None)),
    ({"userId": "u1", "eventTime": "2025-06-01T12:00:00+02:00"}, ("u1", 1_748_772_000.0, None)),
    ({"userId": "u1", "eventTime": "2025-06-01T10:00:00.250Z"}, ("u1", 1_748_772_000.25, None)),
    ({"userId": "u1", "categories": ["c1", 2, 3.0]}, ("u1", RECEIVED, ("c1", "2", "3"))),
    ({"userId": "u1", "categories": 7}, ("u1", RECEIVED, ("7",))),
    ({"userId": "u1", "categories": ""}, ("u1", RECEIVED, ())),
    # Each category of a list is trimmed, as a comma text's always were (and as the entry controller keeps them).
    ({"userId": "u1", "categories": [" 301 ", "\tc2"]}, ("u1", RECEIVED, ("301", "c2"))),
]


@pytest.mark.parametrize(("extra", "expected"), ACCEPTED)
def test_accepted(extra: dict[str, object], expected: tuple[str, float, tuple[str, ...] | None]) -> None:
    event = normalize_event({"eventType": "registered", **extra}, received_at=RECEIVED)
    assert (event.user_id, event.event_time, event.fields.get("categories")) == expected
    assert event.fields["userId"] == event.fields["kuserId"] == event.user_id


# (event, code, words in the message)
REFUSED = [
    ([], "VALIDATION_ERROR", "JSON object"),
    ({"userId": "u1"}, "MISSING_MANDATORY_PARAMETER", "eventType"),
    ({"eventType": None, "userId": "u1"}, "MISSING_MANDATORY_PARAMETER", "eventType"),
    ({"eventType": "", "userId": "u1"}, "VALIDATION_ERROR", "eventType"),
    ({"eventType": 5, "userId": "u1"}, "VALIDATION_ERROR", "eventType"),
    ({"eventType": "x" * 129, "userId": "u1"}, "VALIDATION_ERROR", "eventType"),
    ({"eventType": "like"}, "MISSING_MANDATORY_PARAMETER", "userId"),
    ({"eventType": "like", "userId": " "}, "VALIDATION_ERROR", "userId"),
    ({"eventType": "like", "userId": "u" * 257}, "VALIDATION_ERROR", "userId"),
    ({"eventType": "like", "kuserId": ["u1"]}, "VALIDATION_ERROR", "kuserId"),
    ({"eventType": "like", "userId": "u1", "kuserId": "u2"}, "VALIDATION_ERROR", "different"),
    ({"eventType": "like", "userId": "u1", "eventId": ""}, "VALIDATION_ERROR", "eventId"),
    ({"eventType": "like", "userId": "u1", "eventId": "e" * 257}, "VALIDATION_ERROR", "eventId"),
    ({"eventType": "like", "userId": "u1", "eventId": 1.5}, "VALIDATION_ERROR", "eventId"),
    (
        {"eventType": "like", "userId": "u1", "eventTime": "2025-06-01T10:00:00"},
        "VALIDATION_ERROR",
        "eventTime",
    ),
    ({"eventType": "like", "userId": "u1", "eventTime": "yesterday"}, "VALIDATION_ERROR", "eventTime"),
    ({"eventType": "like", "userId": "u1", "eventTime": -1}, "VALIDATION_ERROR", "eventTime"),
    ({"eventType": "like", "userId": "u1", "eventTime": True}, "VALIDATION_ERROR", "eventTime"),
    ({"eventType": "like", "userId": "u1", "playTime": {"s": 1}}, "VALIDATION_ERROR", "playTime"),
    ({"eventType": "like", "userId": "u1", "tags": [["a"]]}, "VALIDATION_ERROR", "tags"),
    ({"eventType": "like", "userId": "u1", "score": float("nan")}, "VALIDATION_ERROR", "score"),
    ({"eventType": "like", "userId": "u1", "categories": [{"id": 1}]}, "VALIDATION_ERROR", "categories"),
    ({"eventType": "like", "userId": "u1", "categories": ["c1", " "]}, "VALIDATION_ERROR", "empty category"),
    # Ids the player's beacons name things by hold no control character (domain/ids.py).
    (
        {"eventType": "like", "userId": "u1", "virtualEventId": "70\x0101"},
        "VALIDATION_ERROR",
        "virtualEventId",
    ),
    ({"eventType": "like", "userId": "u1", "sessionId": "s\x7f1"}, "VALIDATION_ERROR", "sessionId"),
    ({"eventType": "like", "userId": "u1", "categories": ["c1", "c\n2"]}, "VALIDATION_ERROR", "categories"),
    ({"eventType": "like", "userId": "u1", "categories": "c1,c\x1b2"}, "VALIDATION_ERROR", "categories"),
]


@pytest.mark.parametrize(("raw", "code", "words"), REFUSED)
def test_refused(raw: object, code: str, words: str) -> None:
    with pytest.raises(EventRejected) as raised:
        normalize_event(raw, received_at=RECEIVED)
    assert raised.value.code == code
    assert words in raised.value.message


def test_batch_keeps_positions() -> None:
    batch = normalize_events(
        [{"eventType": "a", "userId": "u1"}, {"userId": "u2"}, {"eventType": "b", "kuserId": "u3"}],
        received_at=RECEIVED,
    )
    assert isinstance(batch, NormalizedBatch)
    assert [event.user_id for event in batch.events] == ["u1", "u3"]
    assert batch.positions == [0, 2]
    assert batch.rejected == [(1, "MISSING_MANDATORY_PARAMETER", "eventType is required")]


def test_registered_and_confirmed_stay_as_sent() -> None:
    for event_type in ("registered", "confirmed"):
        assert (
            normalize_event({"eventType": event_type, "userId": "u"}, received_at=0).event_type == event_type
        )


class _Text(str):
    """A str subclass: normalisation checks its text as thoroughly as a plain str's."""


@pytest.mark.parametrize("bad", ["\ud800", "a\udc00", "x\x00", _Text("\ud800")])
@pytest.mark.parametrize(
    "where",
    ["userId", "kuserId", "eventType", "entryId", "eventId", "score", "categories", "list", "name"],
)
def test_text_no_database_stores_refuses_the_event(bad: str, where: str) -> None:
    raw: dict[str, object] = {"eventType": "poll", "userId": "ann"}
    if where == "list":
        raw["keys"] = [1, "ok", bad]
    elif where == "name":
        raw[bad] = 1
    elif where == "categories":
        raw["categories"] = ["ok", bad]
    elif where == "kuserId":
        raw = {"eventType": "poll", "kuserId": bad}
    else:
        raw[where] = bad
    with pytest.raises(EventRejected) as refusal:
        normalize_event(raw, received_at=RECEIVED)
    assert refusal.value.code == "VALIDATION_ERROR"


def test_storable_unusual_text_is_kept() -> None:
    raw = {"eventType": "poll", "userId": "Zoë 🎉", "note": "tab\tbreak\n", "keys": ["日本", "\U0001f389"]}
    event = normalize_event(raw, received_at=RECEIVED)
    assert event.user_id == "Zoë 🎉" and event.fields["note"] == "tab\tbreak\n"
    assert event.fields["keys"] == ("日本", "\U0001f389")


def test_virtual_event_and_session_ids_are_kept_trimmed() -> None:
    # As a beacon's are (domain/beacons.py): " s1 " is the session "s1", whichever way it came.
    raw = {"eventType": "like", "userId": "u1", "virtualEventId": " 7001\t", "sessionId": " s1 "}
    event = normalize_event(raw, received_at=RECEIVED)
    assert (event.fields["virtualEventId"], event.fields["sessionId"], event.virtual_event_id) == (
        "7001",
        "s1",
        "7001",
    )
