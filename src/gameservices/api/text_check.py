"""Text and numbers no database can store, found in a JSON body before any handler reads it.

JSON may carry a NUL character (``\\u0000``) and lone UTF-16 surrogates (``"\\ud800"`` without its pair): both
parse into Python text, but PostgreSQL refuses NUL in text and no UTF-8 encoder takes a lone surrogate, so such
text would fail wherever it is stored or written back. The request parser also reads the tokens ``NaN``,
``Infinity`` and ``-Infinity``, which are not JSON, and reads a number past a double's range (``1e400``) as an
infinity: PostgreSQL's JSON columns refuse them and SQLite's store a null. A body holding one is refused here,
naming the field, whatever the field is; event/send's events are left to the event checks, which refuse only
the event that holds it (`domain.events`).

The check costs one parse by orjson (which refuses all of these but the NUL escape) and a search for that
escape, on the body made UTF-8 if it was UTF-16 or UTF-32. Only a body orjson refuses or one holding a NUL escape
is scanned for suspicious sequences, and parsed when the scan finds one.
"""

import json
import math
import re
from typing import Any

import orjson

from gameservices.domain.text import has_unstorable, readable, unstorable_reason
from gameservices.errors import ValidationFailed

# What can become unstorable text: the escapes of NUL and of any surrogate (a pair is valid: told apart once
# parsed), a surrogate's UTF-8 form (not UTF-8 at all, but the standard library's parser lets it through), the
# non-finite number tokens the standard library's parser also reads, and the numbers it reads as infinities
# (past a double's range, about 1.8e308: an exponent of three digits or more, or 309 digits and more).
_SUSPICIOUS = re.compile(
    rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]|NaN|Infinity|[0-9][eE]\+?[0-9]{3}|[0-9]{309}"
)
_NUL_ESCAPE = b"\\u0000"
NOT_FINITE = (
    "must be a finite number (NaN and Infinity are not JSON; past about 1.8e308 a number reads as one)"
)


def unstorable_text_error(body: bytes, *, items_checked_later: str | None = None) -> ValidationFailed | None:
    """The error for the first JSON string (or key) of the body that holds unstorable text, or the first number
    that is not finite; None when there is none.

    ``items_checked_later`` names a top-level list whose items are not looked into (their own checks refuse
    them one by one). A body that is not JSON gives None: parsing it later reports that.
    """
    body = _as_utf8(body)
    if _NUL_ESCAPE not in body and _orjson_reads(body):
        return None
    if _SUSPICIOUS.search(body) is None:
        return None
    document = _parsed(body)
    if isinstance(document, dict) and isinstance(document.get(items_checked_later or ""), list):
        document = {key: value for key, value in document.items() if key != items_checked_later}
    found = _first_unstorable(document)
    if found is None:
        return None
    path, reason = found
    return ValidationFailed(readable(path), reason)


def _orjson_reads(body: bytes) -> bool:
    # orjson refuses NaN, Infinity, a number past a double's range, lone surrogates (escaped or not): a body it
    # reads holds none of them, and only a NUL escape is left to look for. It reads a 100-event body in about
    # 30 us; the scan below, whose number patterns try every digit, took about 350 us.
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return True


def _as_utf8(body: bytes) -> bytes:
    """The body in UTF-8: the request parser reads JSON in UTF-16 and UTF-32 too (told by its first bytes, as
    the standard library tells them), whose escapes and tokens the scan of the bytes would not see."""
    encoding = json.detect_encoding(body)
    if not encoding.startswith(("utf-16", "utf-32")):
        return body
    try:
        return body.decode(encoding, "surrogatepass").encode("utf-8", "surrogatepass")
    except UnicodeError:
        return body  # not text at all: parsing it later reports that


def _parsed(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    # orjson refuses lone surrogates; the standard library reads them, as the request parser will.
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _first_unstorable(document: Any) -> tuple[str, str] | None:
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str) and has_unstorable(value):
            return path, unstorable_reason(value)
        if isinstance(value, float) and not math.isfinite(value):
            return path, NOT_FINITE
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if has_unstorable(key):
                    return child, unstorable_reason(key)
                pending.append((child, item))
        elif isinstance(value, list):
            pending.extend((f"{path}.{index}", item) for index, item in enumerate(value))
    return None
