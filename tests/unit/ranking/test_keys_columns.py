"""Bulk decoding of rank keys: `keys_columns` gives what `key_user_id` and `key_standing` give key by key, and
`ranked_columns` lists an index in rank order."""

from hypothesis import given
from hypothesis import strategies as st

from gameservices.ranking import MemoryRankIndex, key_standing, key_user_id, keys_columns, rank_key

USER_IDS = st.sampled_from(["ann", "", "\u00e9", "\ud800", "\U0001f600", "a,b"]) | st.text(max_size=6)
NUMBERS = (
    st.floats(allow_nan=False)
    | st.sampled_from([0.0, -0.0, 1e300, -1e300, 5e-324, -5e-324])
    | st.integers(-3, 3).map(float)
)
ROWS = st.lists(st.tuples(USER_IDS, NUMBERS, NUMBERS), max_size=30)


@given(ROWS)
def test_keys_columns_decodes_as_key_by_key(rows: list[tuple[str, float, float]]) -> None:
    keys = [rank_key(user_id, score, reached_at) for user_id, score, reached_at in rows]
    user_ids, scores = keys_columns(keys)
    assert user_ids == [key_user_id(key) for key in keys]
    expected = [key_standing(key)[0] for key in keys]
    # Compared as strings: the same float, sign of zero included.
    assert list(map(repr, scores)) == list(map(repr, expected))


def test_keys_columns_of_no_keys() -> None:
    assert keys_columns([]) == ([], [])


@given(ROWS, st.integers(2, 5))
def test_ranked_columns_lists_the_index_in_rank_order(
    rows: list[tuple[str, float, float]], block: int
) -> None:
    index = MemoryRankIndex(block_size=block)
    for user_id, score, reached_at in rows:
        index.set(user_id, score, reached_at)
    user_ids, scores = index.ranked_columns()
    entries = index.page(0, len(index))
    assert user_ids == [entry.user_id for entry in entries]
    assert list(map(repr, scores)) == [repr(entry.score) for entry in entries]
