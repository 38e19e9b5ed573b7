"""The rank index contract: the `RankIndex` protocol, its `RankedEntry`, and the byte key fixing the order.

Leaderboard order (DESIGN.md section 4): score descending, then the time the user reached that score
ascending (the first to reach it ranks higher), then userId ascending. Ranks are 1-based positions, so ties
never share a rank.

`rank_key` encodes that order into bytes whose plain byte-wise order is the leaderboard order: 8 bytes for
the score (descending), 8 bytes for the reached-at time (ascending), then the userId in UTF-8, whose byte
order equals Python's code point order for strings. One flat `bytes` object per user is compact and compares
with a single memcmp; the same key also suits a Redis sorted set whose members all share one score, where
members are ordered byte-wise.
"""

import struct
import sys
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from math import isnan
from operator import add, itemgetter
from typing import NamedTuple, Protocol

KEY_PREFIX_SIZE = 16
"""Bytes of a rank key before the UTF-8 userId: score then reached-at time."""

_FLOAT_PAIR = struct.Struct(">dd")
_WORD_PAIR = struct.Struct(">QQ")
_SIGN_BIT = 1 << 63
_LOW_BITS = _SIGN_BIT - 1
_ALL_BITS = (1 << 64) - 1
# surrogatepass keeps lone surrogates (JSON allows them) encodable; UTF-8 still orders them by code point.
_USER_ID_ERRORS = "surrogatepass"


class RankedEntry(NamedTuple):
    """One user's place on a leaderboard."""

    rank: int
    user_id: str
    score: float
    reached_at: float


class RankIndex(Protocol):
    """Order-statistic index of one leaderboard's users: O(log n) rank, page and update.

    `reached_at` is the time (epoch seconds) the user reached their current score. Scores and times are
    returned as floats, with -0.0 read as 0.0. Implementations are not thread-safe: the service calls them
    from its single event loop thread.
    """

    def set(self, user_id: str, score: float, reached_at: float) -> None:
        """Insert the user or move them to their new score; raise ValueError for a NaN score or time."""
        ...

    def remove(self, user_id: str) -> None:
        """Drop the user; a user who is absent is ignored."""
        ...

    def rank(self, user_id: str) -> int | None:
        """Return the user's 1-based rank, or None when the user is absent."""
        ...

    def get(self, user_id: str) -> RankedEntry | None:
        """Return the user's entry with their rank, or None when the user is absent."""
        ...

    def count_below(self, key: bytes) -> int:
        """Return the number of users whose key (see `rank_key`) is smaller than `key`: who rank above it."""
        ...

    def key_of(self, user_id: str) -> bytes | None:
        """Return the user's `rank_key`, or None when the user is absent."""
        ...

    def page(self, offset: int, limit: int) -> list[RankedEntry]:
        """Return up to `limit` entries in rank order starting at 0-based `offset`."""
        ...

    def around(self, user_id: str, above: int, below: int) -> list[RankedEntry]:
        """Return the user's entry with up to `above` entries before and `below` after; [] when absent."""
        ...

    def __len__(self) -> int:
        """Return the number of users in the index."""
        ...

    def bulk_load(self, entries: Iterable[tuple[str, float, float]]) -> None:
        """Replace the content with (user_id, score, reached_at) rows; a repeated user keeps the last."""
        ...

    def standing(self, user_id: str) -> tuple[float, float] | None:
        """Return the user's (score, reached_at) without computing the rank, or None when the user is absent."""
        ...

    def entries(self) -> Iterator[tuple[str, float, float]]:
        """Yield every user as (user_id, score, reached_at), in rank order; the index must not change meanwhile."""
        ...

    def ranked_columns(self) -> tuple[list[str], list[float]]:
        """Return every user's id and score as two lists in rank order (position i holds rank i + 1)."""
        ...


def rank_key(user_id: str, score: float, reached_at: float) -> bytes:
    """Encode a user's position as bytes whose byte-wise order is the leaderboard order."""
    # x != x is the cheapest NaN test; NaN has no place in an order.
    if score != score or reached_at != reached_at:
        raise ValueError(f"score and reached_at must be numbers, got {score!r} and {reached_at!r}")
    # Adding 0.0 turns ints into floats and -0.0 into 0.0, so equal scores get equal bits.
    score_bits, reached_bits = _WORD_PAIR.unpack(_FLOAT_PAIR.pack(score + 0.0, reached_at + 0.0))
    # IEEE bits order non-negative floats like unsigned ints and negative ones in reverse. Score descending:
    # non-negative scores map below 2**63 (higher score, smaller key), negative ones keep their bits above it.
    if score_bits < _SIGN_BIT:
        score_bits = _LOW_BITS - score_bits
    # Time ascending: set the sign bit of non-negative times, invert negative ones.
    reached_bits = reached_bits ^ _SIGN_BIT if reached_bits < _SIGN_BIT else reached_bits ^ _ALL_BITS
    return _WORD_PAIR.pack(score_bits, reached_bits) + user_id.encode("utf-8", _USER_ID_ERRORS)


def rank_keys(user_ids: Sequence[str], scores: Sequence[float], reached_ats: Sequence[float]) -> list[bytes]:
    """`rank_key` of each (user_ids[i], scores[i], reached_ats[i]), computed column-wise for a bulk load."""
    if any(map(isnan, scores)) or any(map(isnan, reached_ats)):
        bad = next(row for row in zip(scores, reached_ats, strict=True) if isnan(row[0]) or isnan(row[1]))
        raise ValueError(f"score and reached_at must be numbers, got {bad[0]!r} and {bad[1]!r}")
    # The float bits of whole columns at once; adding 0.0 turns ints into floats and -0.0 into 0.0.
    score_bits = array("Q", array("d", map(add, scores, repeat(0.0))).tobytes())
    reached_bits = array("Q", array("d", map(add, reached_ats, repeat(0.0))).tobytes())
    pack = _WORD_PAIR.pack
    # The same mapping as rank_key: for a non-negative score, _LOW_BITS - bits equals bits ^ _LOW_BITS.
    return [
        pack(
            score ^ _LOW_BITS if score < _SIGN_BIT else score,
            reached ^ _SIGN_BIT if reached < _SIGN_BIT else reached ^ _ALL_BITS,
        )
        + user_id.encode("utf-8", _USER_ID_ERRORS)
        for score, reached, user_id in zip(score_bits, reached_bits, user_ids, strict=True)
    ]


def key_standing(key: bytes) -> tuple[float, float]:
    """Decode the (score, reached_at) of a key made by `rank_key`."""
    score_bits, reached_bits = _WORD_PAIR.unpack_from(key)
    if score_bits < _SIGN_BIT:
        score_bits = _LOW_BITS - score_bits
    reached_bits = reached_bits ^ _SIGN_BIT if reached_bits >= _SIGN_BIT else reached_bits ^ _ALL_BITS
    score: float
    reached_at: float
    score, reached_at = _FLOAT_PAIR.unpack(_WORD_PAIR.pack(score_bits, reached_bits))
    return score, reached_at


_SCORE_PART = itemgetter(slice(0, 8))
_USER_ID_PART = itemgetter(slice(KEY_PREFIX_SIZE, None))
_BIG_ENDIAN = sys.byteorder == "big"


def keys_columns(keys: Sequence[bytes]) -> tuple[list[str], list[float]]:
    """Decode the userIds and scores of many keys made by `rank_key` at once: two lists in the keys' order.

    The same values as `key_user_id` and `key_standing` give key by key, with the slicing, decoding and
    unpacking done by C-level maps and arrays over the whole sequence.
    """
    user_ids = list(map(bytes.decode, map(_USER_ID_PART, keys), repeat("utf-8"), repeat(_USER_ID_ERRORS)))
    words = array("Q", b"".join(map(_SCORE_PART, keys)))
    if not _BIG_ENDIAN:
        words.byteswap()
    # The inverse of rank_key's score mapping, which is its own inverse: below 2**63, flip the low 63 bits.
    bits = array("Q", [word ^ _LOW_BITS if word < _SIGN_BIT else word for word in words])
    return user_ids, array("d", bits.tobytes()).tolist()


def key_user_id(key: bytes) -> str:
    """Decode the userId of a key made by `rank_key`."""
    return key[KEY_PREFIX_SIZE:].decode("utf-8", _USER_ID_ERRORS)


def entry_from_key(rank: int, key: bytes) -> RankedEntry:
    """Decode a key made by `rank_key` into the entry at `rank`."""
    score_bits, reached_bits = _WORD_PAIR.unpack_from(key)
    if score_bits < _SIGN_BIT:
        score_bits = _LOW_BITS - score_bits
    reached_bits = reached_bits ^ _SIGN_BIT if reached_bits >= _SIGN_BIT else reached_bits ^ _ALL_BITS
    score, reached_at = _FLOAT_PAIR.unpack(_WORD_PAIR.pack(score_bits, reached_bits))
    user_id = key[KEY_PREFIX_SIZE:].decode("utf-8", _USER_ID_ERRORS)
    return RankedEntry(rank, user_id, score, reached_at)
