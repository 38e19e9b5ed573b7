"""Report files: formula neutralisation, and every format read back by its reader gives the cells written."""

import csv
import io
import json
import re
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameservices.services.reports import formats
from gameservices.services.reports.formats import (
    FORMULA_STARTS,
    Table,
    csv_bytes,
    encodable,
    json_bytes,
    neutralise,
    xlsx_bytes,
)

# Text a cell can hold: anything but NUL, which no database stores; lone surrogates included (JSON allows them).
cell_text = st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=40)
rows_of_text = st.lists(st.lists(cell_text, min_size=2, max_size=2), max_size=5)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("'=quoted already", "'=quoted already"),
        ("", ""),
        (" =spaced", " =spaced"),
    ],
)
def test_neutralise(text: str, shown: str) -> None:
    assert neutralise(text) == shown


@given(st.text())
def test_neutralised_text_never_starts_like_a_formula_and_keeps_the_text(text: str) -> None:
    shown = neutralise(text)
    assert not shown.startswith(FORMULA_STARTS)
    assert shown == ("'" + text if text.startswith(FORMULA_STARTS) else text)


@pytest.mark.parametrize(
    ("text", "carried"),
    [("plain", "plain"), ("é\ud800x", "é\ufffdx"), ("\udfff", "\ufffd"), ("😀", "😀")],
)
def test_lone_surrogates_are_replaced(text: str, carried: str) -> None:
    assert encodable(text) == carried


def table(rows: list[list[Any]], chunk: int = 2) -> Table:
    return Table(["name", "value"], [rows[start : start + chunk] for start in range(0, len(rows), chunk)])


@given(rows_of_text)
def test_csv_cells_read_back_neutralised(rows: list[list[str]]) -> None:
    content = b"".join(csv_bytes(table(rows))).decode()
    read = list(csv.reader(io.StringIO(content, newline="")))
    assert read == [["name", "value"], *([neutralise(encodable(cell)) for cell in row] for row in rows)]


def as_excel_reads(value: Any) -> Any:
    """A cell's text with the OOXML escapes (``_x0001_``) decoded, as Excel shows them (openpyxl does not)."""
    if not isinstance(value, str):
        return value
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda match: chr(int(match.group(1), 16)), value)


@settings(max_examples=60, deadline=None)
@given(rows_of_text)
def test_xlsx_cells_read_back_neutralised(rows: list[list[str]]) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_bytes(table(rows), sheet_name="report"))))
    read = [[as_excel_reads(cell) for cell in row] for row in workbook.active.iter_rows(values_only=True)]
    expected = [["name", "value"], *([neutralise(encodable(cell)) for cell in row] for row in rows)]
    assert read == expected


@given(rows_of_text)
def test_json_cells_read_back_unchanged(rows: list[list[str]]) -> None:
    document = json.loads(b"".join(json_bytes(table(rows), about={"reportType": "userScore"})))
    assert document == {
        "reportType": "userScore",
        "columns": ["name", "value"],
        "objects": [{"name": encodable(name), "value": encodable(value)} for name, value in rows],
    }


def test_numbers_stay_numbers_and_empty_cells_stay_empty() -> None:
    rows: list[list[Any]] = [[-5, 2.5], [None, True], [3, "-x"]]
    assert b"".join(csv_bytes(table(rows))).decode() == "name,value\r\n-5,2.5\r\n,True\r\n3,'-x\r\n"
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_bytes(table(rows), sheet_name="r"))))
    assert [list(row) for row in workbook.active.iter_rows(values_only=True)][1:] == [
        [-5, 2.5],
        [None, True],
        [3, "'-x"],
    ]


def test_each_chunk_of_rows_is_sent_as_it_is_written() -> None:
    rows: list[list[Any]] = [[f"user{n}", n] for n in range(5)]
    assert len(list(csv_bytes(table(rows, chunk=2)))) == 3
    assert len(list(json_bytes(table(rows, chunk=2), about={}))) == 5  # head, three chunks, tail
    assert json.loads(b"".join(json_bytes(table([]), about={}))) == {
        "columns": ["name", "value"],
        "objects": [],
    }


def test_xlsx_rows_past_a_sheet_go_on_to_the_next_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "XLSX_MAX_ROWS", 4)  # (a real sheet holds 1,048,576 rows)
    rows = [[f"user{n}", n] for n in range(7)]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_bytes(table(rows), sheet_name="report"))))
    assert workbook.sheetnames == ["report", "report (2)", "report (3)"]
    read = [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets]
    assert all(sheet[0] == ["name", "value"] for sheet in read)
    assert [row for sheet in read for row in sheet[1:]] == rows  # every row, once, in order
