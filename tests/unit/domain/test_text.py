"""Text a database can store: NUL and lone surrogates are found (in any position), surrogate pairs, other control
characters and plain text are not; messages may quote the text once its unstorable characters are replaced."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gameservices.domain.text import has_unstorable, readable, unstorable_reason


@pytest.mark.parametrize(
    ("text", "unstorable"),
    [
        ("", False),
        ("plain id 42", False),
        ("tab\tand\nbreak", False),
        ("Zoë 日本 🎉", False),
        ("\U0001f389", False),
        ("\x00", True),
        ("a\x00", True),
        ("\ud800", True),
        ("é\udfff", True),
        ("\ud83d\ude00", True),  # a pair written as two code points is still two lone surrogates in Python
    ],
)
def test_has_unstorable(text: str, unstorable: bool) -> None:
    assert has_unstorable(text) is unstorable


def test_reasons_and_readable_text() -> None:
    assert "NUL" in unstorable_reason("a\x00")
    assert "surrogate" in unstorable_reason("a\ud800")
    assert readable("a\x00b\ud800") == "a\ufffdb\ufffd"


@given(st.text())
def test_text_hypothesis_generates_is_storable_unless_it_holds_nul(text: str) -> None:
    assert has_unstorable(text) is ("\x00" in text)
    text.encode("utf-8")
