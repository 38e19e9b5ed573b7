"""Reading user profiles from CSV text: columns in any case, groups cells, profileData columns, every refusal
with its line and column."""

from typing import Any

import pytest

from gameservices.domain.csv_profiles import read_profiles
from gameservices.domain.csv_table import CsvProblem, TooManyRows


def profiles_of(text: str) -> list[dict[str, Any]]:
    result = read_profiles(text)
    assert result.problems == [], result.problems
    return result.profiles


def test_columns_in_any_case_and_profile_data_as_written() -> None:
    text = "USERID,Email,FIRSTNAME,lastname,FullName,GROUPS,Company,job title\nada,a@x.io,Ada,L,Ada L,a;b,Acme,CTO\n"
    assert profiles_of(text) == [
        {
            "userId": "ada",
            "email": "a@x.io",
            "firstName": "Ada",
            "lastName": "L",
            "fullName": "Ada L",
            "groups": ["a", "b"],
            "profileData": {"Company": "Acme", "job title": "CTO"},
        }
    ]


@pytest.mark.parametrize(
    ("cell", "groups"),
    [("speakers", ["speakers"]), (" a ; b ;; ", ["a", "b"]), ("a;a", ["a", "a"]), (";", None), ("", None)],
)
def test_groups_cells(cell: str, groups: list[str] | None) -> None:
    (profile,) = profiles_of(f'userId,groups\nada,"{cell}"\n')
    assert profile.get("groups") == groups


def test_empty_cells_leave_fields_out_and_lines_are_kept() -> None:
    result = read_profiles("userId,email,company\n\nada,,\n  bob , b@x.io ,  \n")
    assert result.profiles == [{"userId": "ada"}, {"userId": "bob", "email": "b@x.io"}]
    assert (result.rows, result.lines) == (2, [3, 4])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("userId,email\n,a@x.io\n", CsvProblem(2, "userId", "a user id is required")),
        (f"userId\n{'u' * 257}\n", CsvProblem(2, "userId", "a user id has at most 256 characters")),
        (f"userId,email\nu,{'e' * 321}\n", CsvProblem(2, "email", "email has at most 320 characters")),
        (
            f"userId,fullName\nu,{'n' * 257}\n",
            CsvProblem(2, "fullName", "fullName has at most 256 characters"),
        ),
        (f"userId,groups\nu,{'g' * 257}\n", CsvProblem(2, "groups", "a group id has at most 256 characters")),
        ("userId,email\nu,a,b\n", CsvProblem(2, None, "expected 2 cells, found 3")),
        ("email\na\n", CsvProblem(1, "userId", "the header must name a userId column")),
        (f"userId,{'c' * 257}\nu,v\n", CsvProblem(1, "c" * 40, "a column name has at most 256 characters")),
    ],
)
def test_refusals(text: str, problem: CsvProblem) -> None:
    result = read_profiles(text)
    assert result.problems == [problem] and not result.valid and result.profiles == []


def test_trailing_empty_cells_are_forgiven() -> None:
    assert profiles_of("userId,email\nada,a@x.io,,\n") == [{"userId": "ada", "email": "a@x.io"}]


def test_row_limit() -> None:
    assert read_profiles("userId\na\nb\n", max_rows=2).rows == 2
    with pytest.raises(TooManyRows):
        read_profiles("userId\na\nb\nc\n", max_rows=2)
