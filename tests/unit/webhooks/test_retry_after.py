"""A receiver's ``Retry-After``: whole seconds in ASCII digits or an HTTP date, on 429 and 503 only; anything
else is taken as no header at all (never an exception)."""

import email.utils

import httpx
import pytest

from gameservices.webhooks.sender import retry_after

NOW = 1_767_225_600.0


def _answer(status: int, header: bytes) -> httpx.Response:
    return httpx.Response(status, headers=[(b"Retry-After", header)])


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (b"120", 120.0),
        (b" 7 ", 7.0),
        (b"0", 0.0),
        (b"9" * 30, 999_999_999.0),  # read from its first nine digits
        (email.utils.formatdate(NOW + 600, usegmt=True).encode(), 600.0),
        (email.utils.formatdate(NOW - 600, usegmt=True).encode(), 0.0),
    ],
)
def test_seconds_and_dates_are_read(header: bytes, seconds: float) -> None:
    assert retry_after(_answer(429, header), NOW) == seconds
    assert retry_after(_answer(503, header), NOW) == seconds


@pytest.mark.parametrize(
    "header",
    [
        b"",
        b"soon",
        b"-5",
        b"1.5",
        "\u00b2".encode("latin-1"),  # superscript two: str.isdigit() says yes, int() refuses it
        "12\u00b2".encode(),
        "\u0663\u0660\u0660".encode(),  # Arabic-Indic 300: int() would read it; the header is ASCII digits
        b"Mon, 99 Foo 2025 99:99:99 GMT",
    ],
)
def test_a_malformed_header_is_taken_as_absent(header: bytes) -> None:
    assert retry_after(_answer(429, header), NOW) is None


def test_other_answers_are_not_asked() -> None:
    assert retry_after(_answer(500, b"120"), NOW) is None
    assert retry_after(httpx.Response(429), NOW) is None
