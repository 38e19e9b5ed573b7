"""Times on the wire: ISO 8601 text and epoch seconds (as numbers or as ASCII-digit text) are read as epoch
milliseconds; anything else is a TimeFormatError, never another exception."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gameservices.domain.timefmt import TimeFormatError, format_ms, parse_time

JUNE_1 = 1_748_772_000_000  # 2025-06-01T10:00:00Z


@pytest.mark.parametrize(
    ("value", "ms"),
    [
        (1_748_772_000, JUNE_1),
        (1_748_772_000.5, JUNE_1 + 500),
        ("1748772000", JUNE_1),
        (" 1748772000 ", JUNE_1),
        ("1748772000.25", JUNE_1 + 250),
        ("1748772000.", JUNE_1),
        (".5", 500),
        ("2025-06-01T10:00:00Z", JUNE_1),
        ("2025-06-01T12:00:00+02:00", JUNE_1),
        ("2025-06-01T10:00:00", JUNE_1),  # no offset: UTC
    ],
)
def test_accepted_times(value: object, ms: int) -> None:
    assert parse_time(value) == ms


@pytest.mark.parametrize(
    "value",
    [
        "",
        "soon",
        "\u00b2",  # SUPERSCRIPT TWO: str.isdigit() says yes, float() refuses it
        "1748772000\u00b2",
        "\u0663",  # ARABIC-INDIC DIGIT THREE: float() would read it, the wire format does not
        "\uff11\uff17\uff14\uff18",  # fullwidth digits
        "--5",
        "-",
        ".",
        "1.2.3",
        "+1748772000",
        "-1",  # before 1970
        "1" * 65,
        True,
        None,
        float("nan"),
        10**20,
    ],
)
def test_refused_times_raise_time_format_error(value: object) -> None:
    with pytest.raises(TimeFormatError):
        parse_time(value)


@given(st.text(max_size=70))
def test_any_text_is_a_time_or_a_time_format_error(text: str) -> None:
    try:
        ms = parse_time(text)
    except TimeFormatError:
        return
    assert parse_time(format_ms(ms)) == ms
