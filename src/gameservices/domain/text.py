"""Text a database can store: no NUL character (PostgreSQL refuses it) and no lone UTF-16 surrogate (no UTF-8
encoder takes one). JSON can carry both (``\\u0000``, ``"\\ud800"``), so every text from a request is checked."""

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_unstorable(text: str) -> bool:
    """Whether the text holds a NUL character or a lone surrogate."""
    # isascii is a flag lookup: ASCII text (almost every id) is decided by the NUL search alone.
    return "\x00" in text or (not text.isascii() and _SURROGATE.search(text) is not None)


def unstorable_reason(text: str) -> str:
    """Why this text cannot be stored."""
    if "\x00" in text:
        return "text may not contain NUL (U+0000) characters"
    return "text must be valid Unicode: a lone surrogate (such as \\ud800) is not a character"


def readable(text: str) -> str:
    """The text with its unstorable characters replaced by U+FFFD, so that a message may quote it."""
    return _UNSTORABLE.sub("\ufffd", text)
