"""Tests of the leaderboard rank index: the rank key order, MemoryRankIndex, and a model-based comparison."""

import math
from collections.abc import Callable

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from gameservices.ranking import MemoryRankIndex, RankedEntry, RankIndex, entry_from_key, rank_key

INF = math.inf
TINY = 5e-324  # the smallest positive subnormal float

# The first row ranks above the second; each pair differs in one thing.
RANKS_ABOVE = [
    pytest.param(("b", 2.0, 9.0), ("a", 1.0, 0.0), id="higher-score"),
    pytest.param(("b", 1.0, 1.0), ("a", 1.0, 2.0), id="earlier-reached"),
    pytest.param(("a", 1.0, 1.0), ("b", 1.0, 1.0), id="smaller-user-id"),
    pytest.param(("a", 0.5, 0.0), ("b", -0.5, 0.0), id="positive-over-negative"),
    pytest.param(("b", -1.0, 0.0), ("a", -2.0, 0.0), id="negative-scores"),
    pytest.param(("b", INF, 0.0), ("a", 1e308, 0.0), id="infinity-first"),
    pytest.param(("b", -1e308, 0.0), ("a", -INF, 0.0), id="minus-infinity-last"),
    pytest.param(("b", TINY, 0.0), ("a", 0.0, 0.0), id="subnormal-over-zero"),
    pytest.param(("b", 0.0, 0.0), ("a", -TINY, 0.0), id="zero-over-negative-subnormal"),
    pytest.param(("b", 7, 0.0), ("a", 6.5, 0.0), id="int-score"),
    pytest.param(("b", 1.0, -2.0), ("a", 1.0, -1.0), id="negative-times"),
    pytest.param(("b", 1.0, -1.0), ("a", 1.0, 0.0), id="negative-before-zero-time"),
    pytest.param(("b", 1.0, 0.0), ("a", 1.0, TINY), id="zero-before-subnormal-time"),
    pytest.param(("b", 1.0, 1_700_000_000.001), ("a", 1.0, 1_700_000_000.002), id="millisecond-times"),
    pytest.param(("Z", 1.0, 0.0), ("a", 1.0, 0.0), id="upper-before-lower"),
    pytest.param(("a", 1.0, 0.0), ("ab", 1.0, 0.0), id="prefix-first"),
    pytest.param(("\u00e9", 1.0, 0.0), ("\u4e2d", 1.0, 0.0), id="two-byte-before-three-byte"),
    pytest.param(("\ud800", 1.0, 0.0), ("\ue000", 1.0, 0.0), id="lone-surrogate-by-code-point"),
    pytest.param(("\uffff", 1.0, 0.0), ("\U0001f600", 1.0, 0.0), id="bmp-before-astral"),
]

ROUND_TRIPS = [
    pytest.param(("alice@example.com", 120.0, 1_747_735_200.123), (120.0, 1_747_735_200.123), id="typical"),
    pytest.param(("u", 7, 3), (7.0, 3.0), id="ints-become-floats"),
    pytest.param(("u", -0.0, -0.0), (0.0, 0.0), id="negative-zero"),
    pytest.param(("u", -INF, INF), (-INF, INF), id="infinities"),
    pytest.param(("u", -TINY, -1e300), (-TINY, -1e300), id="extremes"),
    pytest.param(("\ud83d\U0001f600", 1.5, 2.5), (1.5, 2.5), id="surrogate-and-emoji-id"),
    pytest.param(("", 1.0, 2.0), (1.0, 2.0), id="empty-user-id"),
]

# Five users whose order exercises all three criteria: ranks 1..5 are bob, dave, alice, carol, erin.
LEADERBOARD = [
    ("carol", 50.0, 300.0),
    ("alice", 80.0, 200.0),
    ("dave", 80.0, 100.0),
    ("bob", 80.0, 100.0),
    ("erin", 10.0, 50.0),
]
EXPECTED_ORDER = [
    RankedEntry(1, "bob", 80.0, 100.0),
    RankedEntry(2, "dave", 80.0, 100.0),
    RankedEntry(3, "alice", 80.0, 200.0),
    RankedEntry(4, "carol", 50.0, 300.0),
    RankedEntry(5, "erin", 10.0, 50.0),
]


def build_index(rows: list[tuple[str, float, float]], block_size: int = 2) -> MemoryRankIndex:
    index = MemoryRankIndex(block_size=block_size)
    for user_id, score, reached_at in rows:
        index.set(user_id, score, reached_at)
    return index


@pytest.mark.parametrize(("first", "second"), RANKS_ABOVE)
def test_rank_key_orders_like_the_leaderboard(
    first: tuple[str, float, float], second: tuple[str, float, float]
) -> None:
    assert rank_key(*first) < rank_key(*second)
    index = build_index([second, first])
    assert (index.rank(first[0]), index.rank(second[0])) == (1, 2)


@pytest.mark.parametrize(("row", "expected"), ROUND_TRIPS)
def test_entry_from_key_reads_back_the_row(
    row: tuple[str, float, float], expected: tuple[float, float]
) -> None:
    entry = entry_from_key(4, rank_key(*row))
    assert entry == RankedEntry(4, row[0], *expected)
    assert math.copysign(1.0, entry.score) == math.copysign(1.0, expected[0])


def test_negative_zero_ties_with_zero() -> None:
    index = build_index([("b", 0.0, 5.0), ("a", -0.0, 5.0)])
    assert index.page(0, 2) == [RankedEntry(1, "a", 0.0, 5.0), RankedEntry(2, "b", 0.0, 5.0)]


@pytest.mark.parametrize("block_size", [2, 3, 1000])
def test_page_lists_users_in_rank_order(block_size: int) -> None:
    assert build_index(LEADERBOARD, block_size).page(0, 25) == EXPECTED_ORDER


@pytest.mark.parametrize(
    ("offset", "limit", "expected_ranks"),
    [(0, 2, [1, 2]), (3, 10, [4, 5]), (1, 3, [2, 3, 4]), (4, 1, [5]), (5, 1, []), (9, 3, []), (2, 0, [])],
)
def test_page_slices_by_offset_and_limit(offset: int, limit: int, expected_ranks: list[int]) -> None:
    page = build_index(LEADERBOARD).page(offset, limit)
    assert page == [EXPECTED_ORDER[rank - 1] for rank in expected_ranks]


@pytest.mark.parametrize(
    ("user_id", "above", "below", "expected_ranks"),
    [
        ("alice", 1, 1, [2, 3, 4]),
        ("alice", 0, 0, [3]),
        ("bob", 2, 2, [1, 2, 3]),
        ("erin", 3, 5, [2, 3, 4, 5]),
        ("dave", 10, 10, [1, 2, 3, 4, 5]),
        ("nobody", 1, 1, []),
    ],
)
def test_around_returns_the_neighbourhood_with_true_ranks(
    user_id: str, above: int, below: int, expected_ranks: list[int]
) -> None:
    around = build_index(LEADERBOARD).around(user_id, above, below)
    assert around == [EXPECTED_ORDER[rank - 1] for rank in expected_ranks]


def test_rank_and_get_answer_none_for_an_absent_user() -> None:
    index = build_index(LEADERBOARD)
    assert (index.rank("nobody"), index.get("nobody")) == (None, None)
    assert index.get("carol") == RankedEntry(4, "carol", 50.0, 300.0)


def test_set_moves_a_user_and_shifts_the_others() -> None:
    index = build_index(LEADERBOARD)
    index.set("erin", 80.0, 150.0)
    assert [entry.user_id for entry in index.page(0, 5)] == ["bob", "dave", "erin", "alice", "carol"]
    index.set("bob", 80.0, 100.0)  # unchanged score: a no-op
    index.set("bob", 5.0, 400.0)
    assert (index.rank("bob"), index.rank("dave"), index.rank("erin")) == (5, 1, 2)
    assert len(index) == 5


def test_remove_drops_the_user_and_ignores_an_absent_one() -> None:
    index = build_index(LEADERBOARD)
    index.remove("dave")
    index.remove("dave")
    index.remove("nobody")
    assert len(index) == 4
    assert [entry.user_id for entry in index.page(0, 5)] == ["bob", "alice", "carol", "erin"]
    assert index.rank("dave") is None


def test_bulk_load_replaces_everything_and_keeps_the_last_repeat() -> None:
    index = build_index([("zoe", 999.0, 0.0)])
    index.bulk_load([("carol", 1.0, 0.0), ("alice", 2.0, 0.0), ("carol", 3.0, 0.0)])
    assert index.page(0, 5) == [RankedEntry(1, "carol", 3.0, 0.0), RankedEntry(2, "alice", 2.0, 0.0)]
    index.bulk_load([])
    assert (len(index), index.page(0, 5), index.rank("carol")) == (0, [], None)


@pytest.mark.parametrize(("score", "reached_at"), [(math.nan, 0.0), (1.0, math.nan)])
def test_nan_is_rejected_and_the_index_is_unchanged(score: float, reached_at: float) -> None:
    index = build_index(LEADERBOARD)
    with pytest.raises(ValueError, match="must be numbers"):
        index.set("alice", score, reached_at)
    with pytest.raises(ValueError, match="must be numbers"):
        index.bulk_load([("zoe", 1.0, 1.0), ("alice", score, reached_at)])
    assert index.page(0, 25) == EXPECTED_ORDER


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda index: index.page(-1, 5), "offset and limit"),
        (lambda index: index.page(0, -5), "offset and limit"),
        (lambda index: index.around("bob", -1, 0), "above and below"),
        (lambda index: index.around("bob", 0, -1), "above and below"),
        (lambda index: MemoryRankIndex(block_size=1), "block_size"),
    ],
)
def test_negative_arguments_are_rejected(call: Callable[[MemoryRankIndex], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(build_index(LEADERBOARD))


def test_many_moves_through_split_and_merged_blocks() -> None:
    index: RankIndex = MemoryRankIndex(block_size=2)
    for number in range(40):
        index.set(f"user{number:02d}", float(number), 0.0)
    assert [index.rank(f"user{number:02d}") for number in (39, 20, 0)] == [1, 20, 40]
    for number in range(0, 40, 2):
        index.remove(f"user{number:02d}")
    for number in range(1, 40, 4):
        index.set(f"user{number:02d}", -float(number), 0.0)
    expected = [f"user{number:02d}" for number in (39, 35, 31, 27, 23, 19, 15, 11, 7, 3)]
    expected += [f"user{number:02d}" for number in (1, 5, 9, 13, 17, 21, 25, 29, 33, 37)]
    assert [entry.user_id for entry in index.page(0, 40)] == expected
    assert [entry.rank for entry in index.around("user01", 2, 1)] == [9, 10, 11, 12]
    for number in range(1, 40, 2):
        index.remove(f"user{number:02d}")
    assert (len(index), index.page(0, 1)) == (0, [])
    index.set("again", 1.0, 1.0)
    assert index.page(0, 2) == [RankedEntry(1, "again", 1.0, 1.0)]


def test_splitting_a_full_block_and_moving_across_blocks() -> None:
    # With block_size=2 the fifth key splits the only block into [u1 u2] [u3 u4 u5].
    index = build_index([(f"u{number}", 10.0 - number, 0.0) for number in range(1, 6)])
    index.remove("u3")
    index.set("u2", 5.5, 0.0)  # down, from the first block into the second: [u1] [u4 u2 u5]
    assert [(entry.rank, entry.user_id) for entry in index.page(0, 9)] == [
        (1, "u1"),
        (2, "u4"),
        (3, "u2"),
        (4, "u5"),
    ]
    index.set("u5", 9.5, 0.0)  # up, from the second block to the top of the first
    index.set("u4", 5.25, 0.0)  # down, within the second block
    assert [entry.user_id for entry in index.page(0, 9)] == ["u5", "u1", "u2", "u4"]
    assert [index.rank(user_id) for user_id in ("u5", "u1", "u2", "u4")] == [1, 2, 3, 4]


def test_emptying_the_first_and_last_blocks() -> None:
    # With block_size=2, bulk_load makes the blocks [u1, u2] [u3, u4] [u5, u6].
    index = MemoryRankIndex(block_size=2)
    index.bulk_load([(f"u{number}", 7.0 - number, 0.0) for number in range(1, 7)])
    index.remove("u1")
    index.remove("u2")
    assert [(entry.rank, entry.user_id) for entry in index.page(0, 9)] == [
        (1, "u3"),
        (2, "u4"),
        (3, "u5"),
        (4, "u6"),
    ]
    index.remove("u6")
    index.remove("u5")
    index.set("u0", 9.0, 0.0)
    assert [(entry.rank, entry.user_id) for entry in index.page(0, 9)] == [(1, "u0"), (2, "u3"), (3, "u4")]


def test_merging_into_a_full_block_splits_it_again() -> None:
    # With block_size=4, bulk_load makes [u0..u3] [u4..u7] [u8]; v1..v4 then fill the middle block to 8 keys,
    # and emptying the first block down to u3 merges 9 keys, which split again into [u3 u4 v1 v2] [v3 .. u7].
    index = MemoryRankIndex(block_size=4)
    index.bulk_load([(f"u{number}", 100.0 - number, 0.0) for number in range(9)])
    for number in range(1, 5):
        index.set(f"v{number}", 95.6 - number / 10, 0.0)
    for user_id in ("u0", "u1", "u2"):
        index.remove(user_id)
    expected = ["u3", "u4", "v1", "v2", "v3", "v4", "u5", "u6", "u7", "u8"]
    assert [entry.user_id for entry in index.page(0, 20)] == expected
    assert [index.rank(user_id) for user_id in expected] == list(range(1, 11))
    for user_id in ("v3", "v2", "u7"):
        index.remove(user_id)
    expected = ["u3", "u4", "v1", "v4", "u5", "u6", "u8"]
    assert [entry.user_id for entry in index.page(0, 20)] == expected
    assert [index.rank(user_id) for user_id in expected] == list(range(1, 8))


# Model-based test: the index must agree with a plain sorted list after any sequence of operations.

USER_IDS = st.sampled_from(["alice", "bob", "Bob", "b", "\u00e9", "\ud800", "\U0001f600", ""]) | st.text(
    max_size=3
)
SCORES = st.sampled_from([0.0, -0.0, 1.0, 2.0, -1.0, INF, -INF]) | st.floats(allow_nan=False)
TIMES = st.sampled_from([0.0, 1.0, 2.0]) | st.integers(-3, 3) | st.floats(allow_nan=False)


class RankIndexMatchesSortedList(RuleBasedStateMachine):
    """Drive MemoryRankIndex and a dict sorted on demand with the same operations."""

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, tuple[float, float]] = {}
        self.index = MemoryRankIndex()

    @initialize(block_size=st.sampled_from([2, 3, 4, 5, 1000]))
    def choose_block_size(self, block_size: int) -> None:
        self.index = MemoryRankIndex(block_size=block_size)

    @rule(user_id=USER_IDS, score=SCORES, reached_at=TIMES)
    def set_score(self, user_id: str, score: float, reached_at: float) -> None:
        self.index.set(user_id, score, reached_at)
        self.model[user_id] = (score + 0.0, reached_at + 0.0)

    @rule(user_id=USER_IDS)
    def remove_user(self, user_id: str) -> None:
        self.index.remove(user_id)
        self.model.pop(user_id, None)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), score=SCORES, reached_at=TIMES)
    def move_someone(self, data: st.DataObject, score: float, reached_at: float) -> None:
        self.set_score(data.draw(st.sampled_from(sorted(self.model))), score, reached_at)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def remove_someone(self, data: st.DataObject) -> None:
        self.remove_user(data.draw(st.sampled_from(sorted(self.model))))

    @rule(rows=st.lists(st.tuples(USER_IDS, SCORES, TIMES), max_size=40))
    def reload(self, rows: list[tuple[str, float, float]]) -> None:
        self.index.bulk_load(rows)
        self.model = {user_id: (score + 0.0, reached_at + 0.0) for user_id, score, reached_at in rows}

    @rule(offset=st.integers(0, 40), limit=st.integers(0, 40))
    def page_matches(self, offset: int, limit: int) -> None:
        assert self.index.page(offset, limit) == self.expected()[offset : offset + limit]

    @rule(user_id=USER_IDS, above=st.integers(0, 5), below=st.integers(0, 5))
    def around_matches(self, user_id: str, above: int, below: int) -> None:
        expected = self.expected()
        position = next((entry.rank - 1 for entry in expected if entry.user_id == user_id), None)
        wanted = [] if position is None else expected[max(0, position - above) : position + below + 1]
        assert self.index.around(user_id, above, below) == wanted

    @invariant()
    def every_rank_matches(self) -> None:
        expected = self.expected()
        assert len(self.index) == len(expected)
        assert self.index.page(0, len(expected) + 1) == expected
        for entry in expected:
            assert self.index.rank(entry.user_id) == entry.rank
            assert self.index.get(entry.user_id) == entry

    def expected(self) -> list[RankedEntry]:
        order = sorted(self.model.items(), key=lambda item: (-item[1][0], item[1][1], item[0]))
        return [
            RankedEntry(rank, user_id, score, reached_at)
            for rank, (user_id, (score, reached_at)) in enumerate(order, start=1)
        ]


RankIndexMatchesSortedList.TestCase.settings = settings(
    max_examples=150, stateful_step_count=50, deadline=None
)
test_rank_index_matches_sorted_list = RankIndexMatchesSortedList.TestCase


def test_count_below_counts_the_keys_that_rank_above_any_key() -> None:
    import random
    from bisect import bisect_left

    shuffle = random.Random(3)
    index = MemoryRankIndex(block_size=4)
    for n in range(300):
        index.set(f"u{n}", float(shuffle.randrange(50)), float(shuffle.randrange(5)))
    for n in range(0, 300, 7):
        index.remove(f"u{n}")
    keys = sorted(key for key in (index.key_of(f"u{n}") for n in range(300)) if key is not None)
    assert len(keys) == len(index)
    probes = [
        rank_key(f"p{n}", float(shuffle.randrange(-5, 60)), float(shuffle.randrange(6))) for n in range(200)
    ]
    for probe in probes + keys:
        assert index.count_below(probe) == bisect_left(keys, probe)
    assert index.key_of("u0") is None
