"""The body check for text no database stores: escapes and raw bytes, keys and values at any depth, the path it
names, what it leaves alone (pairs, escaped backslashes, bodies that are not JSON, event/send's events)."""

import pytest

from gameservices.api.text_check import unstorable_text_error


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b'{"name": "\\ud800"}', "name"),
        (b'{"name": "\\uDC00"}', "name"),
        (b'{"name": "a\\u0000"}', "name"),
        (b'{"a": {"b": [1, "x", "\\udbff"]}}', "a.b.2"),
        (b'{"a\\ud800": 1}', "a\ufffd"),
        (b'{"name": "\xed\xa0\x80"}', "name"),
        (b'{"events": [], "filter": {"idIn": "\\ud800"}}', "filter.idIn"),
    ],
)
def test_unstorable_text_is_found_and_named(body: bytes, path: str) -> None:
    error = unstorable_text_error(body)
    assert error is not None and error.arguments["PARAM_NAME"] == path


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "plain"}',
        b'{"name": "\\ud83d\\ude00 pair"}',
        b'{"name": "\xf0\x9f\x8e\x89"}',
        b'{"name": "\\\\ud800 is text"}',
        b'{"name": "\\ud800"',
        b"\xff\xfe",
    ],
)
def test_storable_or_unparsable_bodies_pass(body: bytes) -> None:
    assert unstorable_text_error(body) is None


def test_items_checked_later_are_left_to_their_own_checks() -> None:
    body = b'{"events": [{"userId": "\\ud800"}]}'
    assert unstorable_text_error(body, items_checked_later="events") is None
    assert unstorable_text_error(body) is not None
    outside = b'{"events": [], "x": "\\ud800"}'
    assert unstorable_text_error(outside, items_checked_later="events") is not None
