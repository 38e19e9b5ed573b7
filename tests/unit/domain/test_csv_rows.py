"""Reading external events from CSV text: layouts, header spellings, every refusal with its line and column."""

from typing import Any

import pytest

from gameservices.domain.csv_rows import (
    MAX_REPORTED_PROBLEMS,
    CsvProblem,
    Layout,
    TooManyRows,
    decode_csv,
    read_events,
)


def events_of(text: str, action: str = "delta") -> list[dict[str, Any]]:
    result = read_events(text, score_action=action)
    assert result.problems == [], result.problems
    return result.events


def problems_of(text: str) -> list[tuple[int, str | None, str]]:
    result = read_events(text, score_action="delta")
    assert result.events == [] or not result.valid
    return [(problem.line, problem.column, problem.message) for problem in result.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "userId,score,eventType\nada,50,boothVisit\n",
            [{"userId": "ada", "score": 50, "eventType": "boothVisit", "scoreAction": "delta"}],
        ),
        (
            'EVENTTYPE,Score,KUserId,eventTime,categories,Track\r\nquiz,-2.5,7,2025-06-02T10:00:00,"a,b", B \r\n',
            [
                {
                    "eventType": "quiz",
                    "score": -2.5,
                    "userId": "7",
                    "eventTime": 1748858400.0,
                    "categories": "a,b",
                    "Track": "B",
                    "scoreAction": "delta",
                }
            ],
        ),
        (
            "userId,score,eventType,entryId,eventId\n ada , 1e2 ,x,,e-1\n\n,,\nbob,3,x,entry,\n",
            [
                {"userId": "ada", "score": 100, "eventType": "x", "eventId": "e-1", "scoreAction": "delta"},
                {"userId": "bob", "score": 3, "eventType": "x", "entryId": "entry", "scoreAction": "delta"},
            ],
        ),
        (
            "UserID,booth,quiz\nada,10,\nbob,,\ncyd,1,2\n",
            [
                {
                    "userId": "ada",
                    "score": 10,
                    "eventType": "external",
                    "externalRuleId": "booth",
                    "scoreAction": "delta",
                },
                {
                    "userId": "cyd",
                    "score": 1,
                    "eventType": "external",
                    "externalRuleId": "booth",
                    "scoreAction": "delta",
                },
                {
                    "userId": "cyd",
                    "score": 2,
                    "eventType": "external",
                    "externalRuleId": "quiz",
                    "scoreAction": "delta",
                },
            ],
        ),
    ],
    ids=["guide", "any-case-and-context", "blank-lines-and-trim", "wide"],
)
def test_events_read_from_each_layout(text: str, expected: list[dict[str, Any]]) -> None:
    assert events_of(text) == expected


def test_a_quoted_cell_may_hold_commas_and_line_breaks() -> None:
    result = read_events('userId,score,eventType,note\nada,1,x,"a,\nb"\nbob,2,x,\n', score_action="delta")
    assert [event.get("note") for event in result.events] == ["a,\nb", None]
    assert result.lines == [2, 4]


def test_layout_rows_and_lines() -> None:
    result = read_events("\ufeffuserId,score,eventType\n\nada,1,x\n\n\nbob,2,y\n", score_action="upsert")
    assert (result.layout, result.rows, result.lines) == (Layout.LONG, 2, [3, 6])
    assert {event["scoreAction"] for event in result.events} == {"upsert"}
    assert read_events("UserID,booth\nada,1\n", score_action="delta").layout is Layout.WIDE


def test_a_trailing_empty_cell_is_forgiven() -> None:
    assert events_of("userId,score,eventType\nada,1,x,\n")[0]["userId"] == "ada"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, None, "the file is empty: expected a header line")]),
        (
            "email,points\nada,1\n",
            [
                (
                    1,
                    None,
                    "the header must name userId, score and eventType (long layout) or UserID followed by external rule ids (wide layout)",
                )
            ],
        ),
        ("userId,score\nada,1\n", [(1, "eventType", "the long layout needs a eventType column")]),
        ("email,score,eventType\n", [(1, "userId", "the long layout needs a userId column")]),
        (
            "userId,kuserId,score,eventType\n",
            [(1, "kuserId", "name the user in one column: userId or kuserId")],
        ),
        ("userId,score,eventType,Score\n", [(1, "Score", "the header names this column twice")]),
        ("UserID,booth,\n", [(1, None, "column 3 of the header has no name")]),
        (
            "UserID\nada\n",
            [
                (
                    1,
                    None,
                    "the header must name userId, score and eventType (long layout) or UserID followed by external rule ids (wide layout)",
                )
            ],
        ),
        ("userId,score,eventType\nada,1\n", [(2, None, "expected 3 cells, found 2")]),
        ("userId,score,eventType\nada,1,x,y\n", [(2, None, "expected 3 cells, found 4")]),
        ("userId,score,eventType\n,1,x\n", [(2, "userId", "a user id is required")]),
        (
            "userId,score,eventType\n" + "u" * 257 + ",1,x\n",
            [(2, "userId", "a user id has at most 256 characters")],
        ),
        ("userId,score,eventType\nada,,x\n", [(2, "score", "the score must be a number, found ''")]),
        ("userId,score,eventType\nada,ten,x\n", [(2, "score", "the score must be a number, found 'ten'")]),
        (
            "userId,score,eventType\nada,1_000,x\n",
            [(2, "score", "the score must be a number, found '1_000'")],
        ),
        ("userId,score,eventType\nada,nan,x\n", [(2, "score", "the score must be a number, found 'nan'")]),
        ("userId,score,eventType\nada,-inf,x\n", [(2, "score", "the score must be a number, found '-inf'")]),
        (
            "userId,score,eventType\nada,1e999,x\n",
            [(2, "score", "the score must be a number, found '1e999'")],
        ),
        ("userId,score,eventType\nada,1,\n", [(2, "eventType", "an event type is required")]),
        (
            "userId,score,eventType\nada,1," + "t" * 129 + "\n",
            [(2, "eventType", "an event type has at most 128 characters")],
        ),
        (
            "userId,score,eventType,eventId\nada,1,x," + "i" * 257 + "\n",
            [(2, "eventId", "an event id has at most 256 characters")],
        ),
        (
            "userId,score,eventType,eventTime\nada,1,x,soon\n",
            [(2, "eventTime", "expected an ISO 8601 time or epoch seconds, found 'soon'")],
        ),
        (
            "UserID,booth,quiz\nada,x,2\n,1,\n",
            [(2, "booth", "the score must be a number, found 'x'"), (3, "UserID", "a user id is required")],
        ),
        (
            'userId,score,eventType\n"ada,1,x\n',
            [(2, None, "the file is not valid CSV: unexpected end of data")],
        ),
    ],
)
def test_refusals_name_the_line_and_column(text: str, expected: list[tuple[int, str | None, str]]) -> None:
    assert problems_of(text) == expected


def test_one_bad_cell_refuses_the_file_but_every_problem_is_reported() -> None:
    text = "userId,score,eventType\nada,1,x\n,oops,\nbob,2,y\n"
    result = read_events(text, score_action="delta")
    assert not result.valid and result.bad_lines == {3}
    assert [(problem.line, problem.column) for problem in result.problems] == [
        (3, "userId"),
        (3, "score"),
        (3, "eventType"),
    ]


def test_only_the_first_problems_are_kept_but_every_bad_line_is_counted() -> None:
    text = "userId,score,eventType\n" + "ada,x,y\n" * 250
    result = read_events(text, score_action="delta")
    assert len(result.problems) == MAX_REPORTED_PROBLEMS and len(result.bad_lines) == 250
    assert result.problems[-1] == CsvProblem(101, "score", "the score must be a number, found 'x'")


def test_rows_past_the_limit_stop_the_reading() -> None:
    text = "userId,score,eventType\n" + "ada,1,x\n" * 4
    assert read_events(text, score_action="delta", max_rows=4).rows == 4
    with pytest.raises(TooManyRows):
        read_events(text, score_action="delta", max_rows=3)


@pytest.mark.parametrize(
    ("data", "text", "problem"),
    [
        (b"userId\n", "userId\n", None),
        (b"\xef\xbb\xbfuserId\n", "userId\n", None),
        ("é,ü\n".encode(), "é,ü\n", None),
        (b"a\nb\n\xff\n", None, CsvProblem(3, None, "the file is not UTF-8 text")),
        (b"a\nb\x00\n", None, CsvProblem(2, None, "text may not contain NUL characters")),
    ],
)
def test_decoding(data: bytes, text: str | None, problem: CsvProblem | None) -> None:
    assert decode_csv(data) == (text, problem)


def test_a_header_of_many_columns_is_checked_in_one_pass() -> None:
    # 200,000 external rule columns (1.5 MB): each name is compared with a set of those before it, not with
    # every one of them (which took minutes), and the repeated one is still found.
    names = [f"rule{index}" for index in range(200_000)]
    header = ",".join(["UserID", *names, "RULE7"])
    cells = ",".join(["ada", *["1"] * len(names), ""])
    assert problems_of(f"{header}\n{cells}\n") == [(1, "RULE7", "the header names this column twice")]
    result = read_events(
        f"UserID,{','.join(names)}\nada,{','.join(['1'] * len(names))}\n", score_action="delta"
    )
    assert result.valid and len(result.events) == len(names)
