"""Writing a report table as CSV, XLSX or JSON, a chunk of rows at a time.

Text cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) are written with a leading single quote in CSV and XLSX; numbers are written as numbers. JSON
carries the values unchanged.
"""

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import orjson
import xlsxwriter  # type: ignore[import-untyped]  # the package ships no type information

Cell = str | int | float | bool | None
Rows = list[list[Cell]]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
FILE_CHUNK_BYTES = 64 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")
# A line of text starting like a formula (see FORMULA_STARTS).
_FORMULA_LINE = re.compile("^[=+\\-@\t\r]", re.MULTILINE)
# XLSX cells hold at most this many characters.
MAX_XLSX_TEXT = 32_767


@dataclass
class Table:
    """A report: its column names and its rows, produced lazily in chunks.

    ``text_columns``, when given, are the positions of the only columns whose cells may be text; the others
    hold numbers, booleans or None, which the writers pass through without inspecting them.
    """

    columns: list[str]
    chunks: Iterable[Rows]
    text_columns: Sequence[int] | None = None


def neutralise(text: str) -> str:
    """Text a spreadsheet will show as text, never evaluate as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def encodable(text: str) -> str:
    """Text that UTF-8 can carry: lone surrogates (JSON lets them into user ids) become U+FFFD."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def encode(table: Table, file_format: str, *, title: str, about: dict[str, Any]) -> Iterator[bytes]:
    """The bytes of the report file in ``csv``, ``xlsx`` or ``json``; ``about`` heads the JSON document."""
    if file_format == "xlsx":
        return xlsx_bytes(table, sheet_name=title)
    if file_format == "json":
        return json_bytes(table, about=about)
    return csv_bytes(table)


def csv_bytes(table: Table) -> Iterator[bytes]:
    """The table as UTF-8 CSV, one piece per chunk of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_csv_row(table.columns))
    text_columns = table.text_columns
    for rows in table.chunks:
        plain = text_columns is not None and _plain(rows, text_columns)
        writer.writerows(rows if plain else map(_csv_row, rows))
        yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


def _csv_row(row: Sequence[Cell]) -> list[Cell]:
    return [_csv_text(cell) if isinstance(cell, str) else cell for cell in row]


def _plain(rows: Rows, text_columns: Sequence[int]) -> bool:
    """Whether no cell of the rows needs a change in CSV, looking only at the columns that may hold text: their
    text cells, joined by line feeds, are ASCII and no line starts like a formula. (A cell holding a line feed
    may make this answer False needlessly, never True wrongly.)"""
    for column in text_columns:
        text = "\n".join([cell for row in rows if isinstance(cell := row[column], str)])
        if not text.isascii() or _FORMULA_LINE.search(text):
            return False
    return True


def _csv_text(text: str) -> str:
    if text.isascii():
        return "'" + text if text.startswith(FORMULA_STARTS) else text
    return neutralise(encodable(text))


def json_bytes(table: Table, *, about: dict[str, Any]) -> Iterator[bytes]:
    """The table as one JSON document: ``about``'s fields, ``columns``, and ``objects`` keyed by column."""
    columns = [encodable(name) for name in table.columns]
    head = orjson.dumps({**about, "columns": columns})
    yield head[:-1] + b',"objects":['
    first = True
    for rows in table.chunks:
        if not rows:
            continue
        try:
            # One call for the chunk: the array's items are the objects, joined by commas.
            objects = orjson.dumps([dict(zip(columns, row, strict=True)) for row in rows])[1:-1]
        except orjson.JSONEncodeError:
            # Text that UTF-8 cannot carry (lone surrogates): replace it, row by row.
            objects = b",".join(
                orjson.dumps(
                    {
                        name: encodable(cell) if isinstance(cell, str) else cell
                        for name, cell in zip(columns, row, strict=True)
                    }
                )
                for row in rows
            )
        yield (b"" if first else b",") + objects
        first = False
    yield b"]}"


def xlsx_bytes(table: Table, *, sheet_name: str) -> Iterator[bytes]:
    """The table as an XLSX workbook, written row by row to a temporary file, then read back in pieces."""
    with tempfile.TemporaryFile() as file:
        _write_workbook(table, sheet_name, file)
        file.seek(0)
        while piece := file.read(FILE_CHUNK_BYTES):
            yield piece


def _write_workbook(table: Table, sheet_name: str, file: IO[bytes]) -> None:
    # constant_memory flushes each row to disk once the next one starts, so memory stays flat.
    workbook = xlsxwriter.Workbook(
        file, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet(sheet_name[:31])
    bold = workbook.add_format({"bold": True})
    for column, name in enumerate(table.columns):
        sheet.write_string(0, column, _xlsx_text(name), bold)
    row_number = 1
    for rows in table.chunks:
        for row in rows:
            for column, cell in enumerate(row):
                _write_cell(sheet, row_number, column, cell)
            row_number += 1
    workbook.close()


def _write_cell(sheet: Any, row: int, column: int, cell: Cell) -> None:
    if cell is None:
        return
    if isinstance(cell, bool):
        sheet.write_boolean(row, column, cell)
    elif isinstance(cell, int | float):
        sheet.write_number(row, column, cell)
    else:
        sheet.write_string(row, column, _xlsx_text(cell))


def _xlsx_text(text: str) -> str:
    return neutralise(encodable(text))[:MAX_XLSX_TEXT]
