"""The set-based reads of the userScore report, on SQLite and PostgreSQL, and the writers' fast paths: each gives
what the row-by-row way it replaces gives."""

import itertools
import math
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine
from tests.conftest import Partner

from gameservices.domain.ids import new_object_id
from gameservices.services.reports.formats import Rows, Table, csv_bytes, json_bytes
from gameservices.services.reports.rows import whole_numbers
from gameservices.services.standings.user_score import number
from gameservices.storage import report_queries
from gameservices.storage import scores as score_repository
from gameservices.storage import user_profiles as profile_repository
from gameservices.storage.database import read_transaction, write_transaction
from gameservices.storage.scores import UserScoreRow
from gameservices.storage.user_profiles import ProfileRecord

NAME_PARTS = [None, "", "Ada", " Lovelace "]


def expected_name(data: dict[str, Any]) -> str | None:
    """The name userProfile/get shows (services.user_profile.view)."""
    full_name = data.get("fullName") or " ".join(
        part for part in (data.get("firstName"), data.get("lastName")) if part
    )
    return str(full_name) or None


def test_people_of_object_names_users_as_their_profile_does(engine: Engine, partner: Partner) -> None:
    board = new_object_id()
    expected: dict[str, tuple[str | None, str | None]] = {}
    with write_transaction(engine) as conn:
        totals = []
        combinations = itertools.product(NAME_PARTS, repeat=3)
        for number_, (full_name, first_name, last_name) in enumerate(combinations):
            user_id = f"user{number_:03d}"
            fields = {"fullName": full_name, "firstName": first_name, "lastName": last_name}
            data: dict[str, Any] = {key: value for key, value in fields.items() if value is not None}
            data["profileData"] = {"fullName": "not this one"}
            email = None if number_ % 2 else f"{user_id}@example.com"
            record = ProfileRecord(new_object_id(), partner.id, user_id, email, data, 0, 0)
            profile_repository.insert_profile(conn, record)
            totals.append(UserScoreRow(board, user_id, 1.0, 0.0, False))
            expected[user_id] = (expected_name(data), email)
        # Scored without a profile, and a profile without a score on the board: neither is listed.
        totals.append(UserScoreRow(board, "nobody", 1.0, 0.0, False))
        other = ProfileRecord(new_object_id(), partner.id, "elsewhere", None, {"fullName": "E"}, 0, 0)
        profile_repository.insert_profile(conn, other)
        score_repository.save_user_scores(conn, partner.id, totals)
    with read_transaction(engine) as conn:
        rows = [
            tuple(row) for chunk in report_queries.people_of_object(conn, partner.id, board) for row in chunk
        ]
    assert {user_id: (name, email) for user_id, name, email in rows} == expected
    assert len(rows) == len(expected)


def test_rule_scores_of_object_pivots_the_ledger_in_rule_order(engine: Engine, partner: Partner) -> None:
    board, other_board = new_object_id(), new_object_id()
    first, second, gone = new_object_id(), new_object_id(), new_object_id()
    ledger = {
        (board, first, "ada"): 2.5,
        (board, second, "ada"): -4.0,
        (board, second, "bob"): 7.0,
        (board, gone, "cy"): 1.0,
        (other_board, first, "ada"): 100.0,
    }
    with write_transaction(engine) as conn:
        score_repository.add_rule_scores(conn, partner.id, ledger, 0.0)
    with read_transaction(engine) as conn:
        chunks = report_queries.rule_scores_of_object(conn, partner.id, board, [second, first])
        rows = {row[0]: tuple(row[1:]) for chunk in chunks for row in chunk}
    assert rows == {"ada": (-4.0, 2.5), "bob": (7.0, None), "cy": (None, None)}


def test_many_rows_come_in_chunks(engine: Engine, partner: Partner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_queries, "CHUNK_ROWS", 7)
    board, rule = new_object_id(), new_object_id()
    ledger = {(board, rule, f"user{n:02d}"): float(n) for n in range(20)}
    with write_transaction(engine) as conn:
        score_repository.add_rule_scores(conn, partner.id, ledger, 0.0)
    with read_transaction(engine) as conn:
        chunks = [
            list(chunk) for chunk in report_queries.rule_scores_of_object(conn, partner.id, board, [rule])
        ]
    assert [len(chunk) for chunk in chunks] == [7, 7, 6]
    assert sorted(row[1] for chunk in chunks for row in chunk) == [float(n) for n in range(20)]


@pytest.mark.parametrize(
    "value", [0.0, -0.0, 5.0, -5.0, 2.5, 1e20, -1e300, math.inf, -math.inf, math.nan, 7, 2**60, None]
)
def test_whole_numbers_shows_values_as_number_does(value: float | None) -> None:
    shown = whole_numbers([value, 3.0, 3.5]).get(value, value)
    if value is None:
        assert shown == 0
    elif isinstance(value, float) and math.isnan(value):
        assert isinstance(shown, float) and math.isnan(shown)
    else:
        assert shown == number(value) and type(shown) is type(number(value))


TEXT_CELLS = [
    "plain",
    "=1+1",
    "-2",
    "+x",
    "@cmd",
    "\tx",
    "\rx",
    "a\n=b",
    "é",
    "\ud800",
    "",
    None,
    5,
    'ok,"q"',
]


@pytest.mark.parametrize("cell", TEXT_CELLS)
def test_the_csv_fast_path_writes_what_the_cell_by_cell_path_writes(cell: str | int | None) -> None:
    rows: Rows = [[1, 2.5, "user", "Name", None], [None, 3, "other", cell, "mail@example.com"]]
    columns = ["rank", "score", "userId", "userName", "userEmail"]
    cell_by_cell = b"".join(csv_bytes(Table(columns, [[list(row) for row in rows]])))
    fast = b"".join(csv_bytes(Table(columns, [[list(row) for row in rows]], text_columns=(2, 3, 4))))
    assert fast == cell_by_cell


@pytest.mark.parametrize("cell", TEXT_CELLS)
def test_the_json_chunk_is_what_row_by_row_encoding_gives(cell: str | int | None) -> None:
    rows: Rows = [[1, "user", cell], [2, "other", "x"]]
    table = Table(["rank", "userId", "userName"], [rows, [], [[3, "third", None]]])
    written = b"".join(json_bytes(table, about={"reportType": "userScore"}))
    safe = cell.replace("\ud800", "\ufffd") if isinstance(cell, str) else cell
    objects = [
        {"rank": 1, "userId": "user", "userName": safe},
        {"rank": 2, "userId": "other", "userName": "x"},
        {"rank": 3, "userId": "third", "userName": None},
    ]
    document = {"reportType": "userScore", "columns": ["rank", "userId", "userName"], "objects": objects}
    assert written == orjson.dumps(document)
