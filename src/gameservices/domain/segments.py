"""Sub-leaderboard segments: which team a user belongs to, read from their profile by ``filterPaths``."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

UNKNOWN_SEGMENT = ""
# Profile fields a path may name directly; any other path is read inside ``profileData``.
_PROFILE_FIELDS = frozenset({"userId", "email", "firstName", "lastName", "fullName", "groups"})


def segment_of(profile: Mapping[str, Any] | None, filter_paths: Sequence[str]) -> str:
    """The segment of a user: the values at the filter paths joined with ``|`` ("" when unknown)."""
    if profile is None:
        return UNKNOWN_SEGMENT
    values = [_value_at(profile, path) for path in filter_paths]
    if all(value == "" for value in values):
        return UNKNOWN_SEGMENT
    return "|".join(values)


def _value_at(profile: Mapping[str, Any], path: str) -> str:
    head = path.split(".", 1)[0]
    node: Any = profile if head in _PROFILE_FIELDS else profile.get("profileData") or {}
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return ""
        node = node.get(part)
    if node is None or isinstance(node, Mapping):
        return ""
    if isinstance(node, list):
        return ",".join(_text(item) for item in node)
    return _text(node)


def _text(value: Any) -> str:
    # Anything but text as JSON writes it (the profile shows it so): true, false, null, a nested list or object,
    # not as Python writes True, None or ['a'].
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
