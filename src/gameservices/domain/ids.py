"""Object ids: 24 lowercase hex characters in the MongoDB ObjectId layout (time, random, counter); and what
the ids a partner gives may hold."""

import itertools
import os
import re
import threading
import time

_PROCESS_RANDOM = os.urandom(5)
_COUNTER = itertools.count(int.from_bytes(os.urandom(3), "big"))
_LOCK = threading.Lock()
_ID_PATTERN = re.compile(r"^[0-9a-f]{24}$")


def new_object_id() -> str:
    """Return a new id: 4 bytes of seconds, 5 bytes of per-process randomness, 3 bytes of counter."""
    with _LOCK:
        counter = next(_COUNTER) & 0xFFFFFF
    seconds = int(time.time()) & 0xFFFFFFFF
    return (seconds.to_bytes(4, "big") + _PROCESS_RANDOM + counter.to_bytes(3, "big")).hex()


def is_object_id(value: object) -> bool:
    """Tell whether a value is a well-formed object id."""
    return isinstance(value, str) and _ID_PATTERN.match(value) is not None


# The ids the partner names its own things by (entries, virtual events) hold no control character (C0 or DEL):
# the player's beacons never carry one (domain/beacons.py), and the API refuses them wherever such an id enters.
CONTROL_CHARACTERS = "\x00-\x1f\x7f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
NO_CONTROL_CHARACTERS = "must not contain control characters"


def has_control_characters(text: str) -> bool:
    """Tell whether a text holds a control character (U+0000 to U+001F, or U+007F)."""
    # isprintable is one C call: printable text (almost every id) is decided without the search.
    return not text.isprintable() and _CONTROL.search(text) is not None
