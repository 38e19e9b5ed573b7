"""The userScore report's column-wise path: the board's leaderboard order, the rank-ordered query, the rows
built from them (by position or, when the board and the database disagree, by user id), and the CSV lines
made by joins, each compared with the plain way it replaces."""

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from tests.conftest import Partner

from gameservices.domain.ids import new_object_id
from gameservices.projection.board import Board, UserStanding
from gameservices.projection.live import LiveState
from gameservices.services.reports import rows as report_rows
from gameservices.services.reports.formats import Cell, Columns, Table, csv_bytes, json_bytes
from gameservices.services.standings.user_score import number
from gameservices.storage import game_objects as object_repository
from gameservices.storage import report_queries
from gameservices.storage import rules as rule_repository
from gameservices.storage import scores as score_repository
from gameservices.storage import user_profiles as profile_repository
from gameservices.storage.database import Connection, read_transaction, write_transaction
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord
from gameservices.storage.scores import UserScoreRow
from gameservices.storage.user_profiles import ProfileRecord

USER_IDS = st.sampled_from(["ann", "bob", "Bob", "", "\u00e9", "\ud800", "\U0001f600"]) | st.text(max_size=3)
NUMBERS = st.floats(allow_nan=False) | st.integers(-3, 3).map(float)


@given(st.dictionaries(USER_IDS, st.tuples(NUMBERS, NUMBERS, st.booleans()), max_size=20))
def test_board_ordered_lists_displayed_users_by_rank_then_hidden_ones(
    standings: dict[str, tuple[float, float, bool]],
) -> None:
    board = Board()
    for user_id, (score, reached_at, hidden) in standings.items():
        board.put(user_id, UserStanding(score, reached_at, hidden))
    user_ids, scores, displayed = board.ordered()
    expected = sorted(
        (standing.hidden, -standing.score, standing.reached_at, user_id)
        for user_id, standing in board.standings()
    )
    assert user_ids == [user_id for *_, user_id in expected]
    assert scores == [-negated for _, negated, _, _ in expected]
    assert displayed == len(board.index)


RULE_DATA = {
    "type": "count",
    "mode": "distribute_points",
    "metric": "kuserId",
    "groupBy": "kuserId",
    "goal": "1",
    "points": "1",
    "maxPoints": "unlimited",
}


def scored_board(engine: Engine, partner_id: int) -> GameObjectRecord:
    """A leaderboard with two rules and users of every kind: ties, hidden users, users without a profile or
    without ledger rows, a ledger row of a user with no score, non-ASCII and formula-like user ids."""
    record = GameObjectRecord(new_object_id(), partner_id, "leaderboard", "Board", "enabled", {}, 0, 0)
    first, second = new_object_id(), new_object_id()
    standings = {
        "ann": (10.0, 1.0, False),
        "bob": (10.0, 1.0, False),
        "cy": (-0.0, 5.0, False),
        "dee": (50.0, 2.0, True),
        "eve": (50.0, 0.0, True),
        "Zed": (2.5, 3.0, False),
        "\u00e9t\u00e9": (3.0, 3.0, False),
        "=1+1": (1e20, 9.0, False),
        "neg": (-4.0, 1.0, False),
    }
    ledger = {
        (record.id, first, "ann"): 4.0,
        (record.id, second, "ann"): 6.0,
        (record.id, first, "bob"): 10.0,
        (record.id, second, "Zed"): 2.5,
        (record.id, first, "dee"): 50.0,
        (record.id, first, "eve"): 50.0,
        (record.id, first, "\u00e9t\u00e9"): 3.0,
        (record.id, second, "=1+1"): 1e20,
        (record.id, second, "neg"): -4.0,
        (record.id, first, "ghost"): 1.0,
    }
    profiles = {
        "ann": {"fullName": "Ann Example"},
        "bob": {"firstName": "Bob", "lastName": "Stone"},
        "dee": {"firstName": "Dee"},
        "=1+1": {"fullName": 'a,b "c"'},
        "ghost": {"fullName": "Nobody"},
    }
    with write_transaction(engine) as conn:
        object_repository.insert_game_object(conn, record)
        for position, rule_id in enumerate([first, second]):
            data = {
                **RULE_DATA,
                "conditions": [{"fact": "eventType", "operator": "equal", "value": f"kind{position}"}],
            }
            rule_repository.insert_rule(
                conn,
                RuleRecord(
                    rule_id,
                    partner_id,
                    "leaderboard",
                    record.id,
                    f"R{position}",
                    "enabled",
                    position,
                    data,
                    0,
                    0,
                ),
            )
        for user_id, data in profiles.items():
            email = None if user_id == "dee" else f"{user_id}@example.com"
            profile = ProfileRecord(new_object_id(), partner_id, user_id, email, data, 0, 0)
            profile_repository.insert_profile(conn, profile)
        score_repository.add_rule_scores(conn, partner_id, ledger, 0.0)
        rows = [UserScoreRow(record.id, user_id, *standing) for user_id, standing in standings.items()]
        score_repository.save_user_scores(conn, partner_id, rows)
    return record


def expected_rows(
    conn: Connection, live: LiveState, partner_id: int, record: GameObjectRecord
) -> list[list[Any]]:
    """The report's rows made the plain way: the board's standings sorted, each user's ledger row and name
    looked up by user id."""
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    rule_ids = [rule.id for rule in rules]
    ledger = {
        row[0]: list(row[1:])
        for chunk in report_queries.rule_scores_of_object(conn, partner_id, record.id, rule_ids)
        for row in chunk
    }
    named = {
        row[0]: (row[1], row[2])
        for chunk in report_queries.people_of_object(conn, partner_id, record.id)
        for row in chunk
    }
    with live.reading(conn, partner_id) as state:
        standings = list(state.boards[record.id].standings())
    ordered = sorted(
        standings, key=lambda item: (item[1].hidden, -item[1].score, item[1].reached_at, item[0])
    )
    rows: list[list[Any]] = []
    rank = 0
    for user_id, standing in ordered:
        rank += not standing.hidden
        points = ledger.get(user_id, [None] * len(rules))
        rows.append(
            [
                None if standing.hidden else rank,
                number(standing.score),
                user_id,
                *named.get(user_id, (None, None)),
                *(0 if value is None else number(value) for value in points),
            ]
        )
    return rows


def table_rows(table: Table) -> list[list[Any]]:
    return [
        list(row) for chunk in table.chunks for row in (chunk.rows() if isinstance(chunk, Columns) else chunk)
    ]


def typed(rows: list[list[Any]]) -> list[list[tuple[type, str]]]:
    return [[(type(cell), repr(cell)) for cell in row] for row in rows]


@pytest.mark.parametrize("board_differs", [False, True])
def test_user_score_rows_are_the_plain_lookups(
    engine: Engine, partner: Partner, board_differs: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_rows, "CHUNK_ROWS", 4)
    record = scored_board(engine, partner.id)
    live = LiveState()
    with read_transaction(engine) as conn, live.reading(conn, partner.id) as state:
        if board_differs:
            # A board the database does not match: rows are then found by user id, the extra user with none.
            state.boards[record.id].put("extra", UserStanding(7.0, 0.0, False))
    with read_transaction(engine) as conn:
        table = report_rows.user_score(conn, live=live, partner_id=partner.id, record=record)
        written = table_rows(table)
        expected = expected_rows(conn, live, partner.id, record)
    assert table.columns == ["rank", "score", "userId", "userName", "userEmail", "R0", "R1"]
    assert typed(written) == typed(expected)
    assert written[0][:5] == [1, 100000000000000000000, "=1+1", 'a,b "c"', "=1+1@example.com"]
    assert ("extra" in [row[2] for row in written]) == board_differs


def test_user_score_rows_query_is_in_leaderboard_order(engine: Engine, partner: Partner) -> None:
    record = scored_board(engine, partner.id)
    with read_transaction(engine) as conn:
        rules = rule_repository.rules_of(conn, partner_id=partner.id, game_object_id=record.id)
        rows = [
            tuple(row)
            for chunk in report_queries.user_score_rows(
                conn, partner.id, record.id, [rule.id for rule in rules]
            )
            for row in chunk
        ]
    user_ids = [row[0] for row in rows]
    # Ties on score and time are ordered by user id in the database's collation; the rest is fixed.
    assert user_ids[:1] == ["=1+1"] and set(user_ids[1:3]) == {"ann", "bob"}
    assert user_ids[3:] == ["\u00e9t\u00e9", "Zed", "cy", "neg", "eve", "dee"]
    assert {row[0]: row[1:] for row in rows}["dee"] == (50.0, None, "Dee", None)
    assert {row[0]: row[1:] for row in rows}["cy"] == (None, None, None, None)


TEXT = st.sampled_from(["plain", "a,b", 'q"q', "l\nf", "c\rr", "=1", "-2", "é", "", " x "]) | st.none()
NUMBER: st.SearchStrategy[Cell] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(),
    st.sampled_from([0.0, -0.0, 1e20, math.inf, -math.inf, 2.5]),
)
ROWS = st.lists(st.tuples(NUMBER, TEXT, NUMBER, TEXT), min_size=1, max_size=8)


@given(st.lists(ROWS, max_size=4))
def test_csv_lines_by_joins_are_what_csv_writer_writes(chunks: list[list[tuple[Cell, ...]]]) -> None:
    columns = ["rank", "userId", "score", "userName"]
    cell_by_cell = b"".join(csv_bytes(Table(columns, [[list(row) for row in chunk] for chunk in chunks])))
    by_rows = b"".join(csv_bytes(Table(columns, chunks, text_columns=(1, 3))))
    by_columns = Table(
        columns, [Columns(list(zip(*chunk, strict=True))) for chunk in chunks], text_columns=(1, 3)
    )
    assert b"".join(csv_bytes(by_columns)) == by_rows == cell_by_cell


def test_columns_chunks_write_json_as_rows_do() -> None:
    rows: list[tuple[Cell, ...]] = [(1, "ann", 2.5), (None, "bob", 3)]
    columns = ["rank", "userId", "score"]
    by_rows = b"".join(json_bytes(Table(columns, [rows]), about={}))
    by_columns = b"".join(json_bytes(Table(columns, [Columns(list(zip(*rows, strict=True)))]), about={}))
    assert by_columns == by_rows
