"""The Board of a game object: one record per user (the rank index for displayed users, a dict for hidden ones),
compared with a plain dict of standings after any sequence of puts; and its load from the database."""

import math

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from gameservices.domain.ids import new_object_id
from gameservices.projection.board import Board, UserStanding
from gameservices.projection.loading import load_boards
from gameservices.ranking import RankedEntry
from gameservices.services.access.partner import create_partner
from gameservices.storage import game_objects as object_repository
from gameservices.storage import scores as score_repository
from gameservices.storage.database import Engine, read_transaction, write_transaction
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.scores import UserScoreRow


def test_put_moves_users_between_the_index_and_the_hidden_ones() -> None:
    board = Board()
    board.put("ann", UserStanding(5.0, 10.0, False))
    board.put("bob", UserStanding(7.0, 20.0, False))
    board.put("cid", UserStanding(9.0, 30.0, True))
    assert len(board) == 3
    assert board.index.page(0, 5) == [RankedEntry(1, "bob", 7.0, 20.0), RankedEntry(2, "ann", 5.0, 10.0)]
    assert board.standing("cid") == UserStanding(9.0, 30.0, True)
    assert board.standing("ann") == UserStanding(5.0, 10.0, False)
    assert board.standing("nobody") is None

    board.put("bob", UserStanding(7.0, 20.0, True))
    board.put("cid", UserStanding(1.0, 40.0, False))
    assert len(board) == 3
    assert [entry.user_id for entry in board.index.page(0, 5)] == ["ann", "cid"]
    assert dict(board.standings()) == {
        "ann": UserStanding(5.0, 10.0, False),
        "bob": UserStanding(7.0, 20.0, True),
        "cid": UserStanding(1.0, 40.0, False),
    }


def test_standing_is_a_copy_that_does_not_change_the_board() -> None:
    board = Board()
    board.put("ann", UserStanding(5.0, 10.0, False))
    standing = board.standing("ann")
    assert standing is not None
    standing.score = 99.0
    assert board.standing("ann") == UserStanding(5.0, 10.0, False)


USER_IDS = st.sampled_from(["ann", "bob", "Bob", "", "\u00e9", "\ud800", "\U0001f600"]) | st.text(max_size=3)
NUMBERS = st.floats(allow_nan=False) | st.integers(-3, 3).map(float)


class BoardMatchesADict(RuleBasedStateMachine):
    """Drive a Board and a dict of standings with the same puts."""

    def __init__(self) -> None:
        super().__init__()
        self.board = Board()
        self.model: dict[str, UserStanding] = {}

    @rule(user_id=USER_IDS, score=NUMBERS, reached_at=NUMBERS, hidden=st.booleans())
    def put(self, user_id: str, score: float, reached_at: float, hidden: bool) -> None:
        self.board.put(user_id, UserStanding(score, reached_at, hidden))
        self.model[user_id] = UserStanding(score + 0.0, reached_at + 0.0, hidden)

    @invariant()
    def same_standings(self) -> None:
        assert len(self.board) == len(self.model)
        assert dict(self.board.standings()) == self.model
        for user_id, standing in self.model.items():
            assert self.board.standing(user_id) == standing
        displayed = sorted(
            (-standing.score, standing.reached_at, user_id)
            for user_id, standing in self.model.items()
            if not standing.hidden
        )
        assert [entry.user_id for entry in self.board.index.page(0, len(self.model))] == [
            user_id for _, _, user_id in displayed
        ]


BoardMatchesADict.TestCase.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
test_board_matches_a_dict = BoardMatchesADict.TestCase


def test_load_boards_reads_every_object_with_its_hidden_users(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        partner_id = int(create_partner(conn, name="board")["partnerId"])
        object_ids = sorted(new_object_id() for _ in range(3))
        for object_id in object_ids:
            record = GameObjectRecord(object_id, partner_id, "leaderboard", "Board", "enabled", {}, 0, 0)
            object_repository.insert_game_object(conn, record)
        # Enough users that the load reads several chunks, one object spanning chunk boundaries.
        rows = [
            UserScoreRow(
                object_ids[0], f"user{number:05d}", float(number % 97), 1000.0 + number, number % 500 == 0
            )
            for number in range(25_000)
        ]
        rows += [
            UserScoreRow(object_ids[1], "only-hidden", 3.0, 4.0, True),
            UserScoreRow(object_ids[2], "zoe", -0.0, 2.5, False),
            UserScoreRow(object_ids[2], "amy", 2.0, 1.0, False),
        ]
        score_repository.save_user_scores(conn, partner_id, rows)
    with read_transaction(engine) as conn:
        boards = load_boards(conn, partner_id)

    assert sorted(boards) == object_ids
    expected: dict[str, dict[str, UserStanding]] = {object_id: {} for object_id in object_ids}
    for row in rows:
        expected[row.game_object_id][row.user_id] = UserStanding(row.score + 0.0, row.reached_at, row.hidden)
    for object_id, board in boards.items():
        assert dict(board.standings()) == expected[object_id]
    big = boards[object_ids[0]]
    assert (len(big), len(big.index)) == (25_000, 24_950)
    assert big.index.rank("user00096") == 1
    assert big.standing("user00500") == UserStanding(15.0, 1500.0, True)
    assert boards[object_ids[2]].index.page(0, 5) == [
        RankedEntry(1, "amy", 2.0, 1.0),
        RankedEntry(2, "zoe", 0.0, 2.5),
    ]
    assert math.copysign(1.0, boards[object_ids[2]].index.page(0, 5)[1].score) == 1.0
