"""Object ids: 24 lowercase hex characters in the MongoDB ObjectId layout (time, random, counter)."""

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
