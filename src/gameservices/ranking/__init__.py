"""Leaderboard rank indexes: the `RankIndex` contract, its rank key, and the implementations behind it.

What belongs here: order-statistic structures that answer a user's rank, a page of the leaderboard and a
user's neighbourhood in O(log n), fed by the services with each user's score and the time they reached it.
What does not: scoring, participation policies (hidden users are simply not put in), storage and HTTP.
"""

from gameservices.ranking.index import (
    KEY_PREFIX_SIZE,
    RankedEntry,
    RankIndex,
    entry_from_key,
    key_standing,
    key_user_id,
    keys_columns,
    rank_key,
    rank_keys,
)
from gameservices.ranking.memory import DEFAULT_BLOCK_SIZE, MemoryRankIndex

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "KEY_PREFIX_SIZE",
    "MemoryRankIndex",
    "RankIndex",
    "RankedEntry",
    "entry_from_key",
    "key_standing",
    "key_user_id",
    "keys_columns",
    "rank_key",
    "rank_keys",
]
