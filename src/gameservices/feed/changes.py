"""Typed changes: what a committed log entry changed, as integrators see it (DESIGN.md section 9, "Change feed").

A writer collects the changes its entry makes while it computes them and stores them with the entry, in the
same transaction: a change exists exactly when its entry is committed, every process reads the same ones, and
its id `"<seq>-<i>"` (the entry's seq, the change's position in the entry) never changes.
"""

from dataclasses import dataclass, field
from typing import Any

from gameservices.storage import event_log

SCORE_CHANGED = "score.changed"
BADGE_ACHIEVED = "badge.achieved"
CERTIFICATE_ISSUED = "certificate.issued"
LEAD_GROUP_CHANGED = "leadScoring.groupChanged"
STATUS_CHANGED = "gameObject.statusChanged"
PERIOD_CLOSED = "leaderboard.periodClosed"
TYPES = frozenset(
    {SCORE_CHANGED, BADGE_ACHIEVED, CERTIFICATE_ISSUED, LEAD_GROUP_CHANGED, STATUS_CHANGED, PERIOD_CLOSED}
)

# A position in a partner's feed: (seq, i). `(seq, END)` is after every change of entry `seq`.
Position = tuple[int, int]
END = 1 << 31


@dataclass(frozen=True, slots=True)
class Change:
    """One committed change: its id, place, type, data, and when its entry was appended (epoch ms)."""

    id: str
    seq: int
    index: int
    type: str
    data: dict[str, Any]
    at_ms: int

    @property
    def position(self) -> Position:
        """Where the change sits in the feed."""
        return (self.seq, self.index)

    @property
    def game_object_id(self) -> str | None:
        """The game object the change is about."""
        value = self.data.get("gameObjectId")
        return value if isinstance(value, str) else None


@dataclass
class Changes:
    """The changes one entry makes, collected in order while it is computed."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, change_type: str, data: dict[str, Any]) -> None:
        """Note a change (its type one of TYPES)."""
        assert change_type in TYPES, change_type
        self.items.append({"type": change_type, "data": data})

    def encoded(self) -> bytes | None:
        """The stored form (None when the entry changed nothing a client sees)."""
        return event_log.encode_body(self.items) if self.items else None


def change_id(seq: int, index: int) -> str:
    """The id of the `index`-th change of entry `seq`."""
    return f"{seq}-{index}"


def parse_id(text: str) -> Position | None:
    """The position a change id names (None when the text is not a change id)."""
    seq, dash, index = text.strip().partition("-")
    if not dash or not _is_number(seq, 18) or not _is_number(index, 9):
        return None
    return int(seq), int(index)


def _is_number(text: str, max_digits: int) -> bool:
    # ASCII digits only: str.isdigit() alone also takes "²", which int() refuses.
    return 0 < len(text) <= max_digits and text.isascii() and text.isdigit()


def decode(seq: int, at_ms: int, encoded: bytes) -> list[Change]:
    """The changes stored with entry `seq`."""
    return [
        Change(change_id(seq, index), seq, index, str(item["type"]), dict(item["data"]), at_ms)
        for index, item in enumerate(event_log.decode_body(encoded))
    ]
