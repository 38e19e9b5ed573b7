"""Writing a report table as CSV, XLSX or JSON, a chunk of rows at a time.

Text cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) are written with a leading single quote in CSV and XLSX; numbers are written as numbers. JSON
carries the values unchanged.
"""

import csv
import io
import json
import math
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
# A line break followed by the start of a formula (see FORMULA_STARTS).
_FORMULA_AFTER_BREAK = tuple("\n" + start for start in FORMULA_STARTS)
# XLSX cells hold at most this many characters.
MAX_XLSX_TEXT = 32_767
# Rows of a worksheet (its header among them): an xlsx file cannot hold more in one sheet.
XLSX_MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class Columns:
    """A chunk of rows given column by column: ``columns[c][r]`` is the cell of row r in column c, and every
    column is as long. A table whose cells come column-wise yields these; the writers that go row by row zip
    them back into rows."""

    columns: Sequence[Sequence[Cell]]

    def rows(self) -> list[tuple[Cell, ...]]:
        """The chunk's rows, as tuples of cells."""
        return list(zip(*self.columns, strict=True))


Chunk = Sequence[Sequence[Cell]] | Columns
"""A chunk of rows as a table gives it: a sequence of rows (lists or tuples of cells), or its `Columns`."""


def _rows(chunk: Chunk) -> Sequence[Sequence[Cell]]:
    return chunk.rows() if isinstance(chunk, Columns) else chunk


@dataclass
class Table:
    """A report: its column names and its rows, produced lazily in chunks.

    ``text_columns``, when given, are the positions of the only columns whose cells may be text; the others
    hold numbers, booleans or None, which the writers pass through without inspecting them. Every row of a
    chunk holds one cell per column.
    """

    columns: list[str]
    chunks: Iterable[Chunk]
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
    width = len(table.columns)
    for chunk in table.chunks:
        lines = None if text_columns is None else _plain_lines(chunk, text_columns, width)
        if lines is not None:
            buffer.write(lines)
        else:
            rows = _rows(chunk)
            plain = text_columns is not None and _plain(rows, text_columns)
            writer.writerows(rows if plain else map(_csv_row, rows))
        yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


_BLANK: dict[Cell, str] = {None: ""}
"""``_BLANK.get(cell, cell)``: an empty field for None, as csv.writer writes it, and the cell itself otherwise."""


def _plain_lines(chunk: Chunk, text_columns: Sequence[int], width: int) -> str | None:
    """The CSV lines csv.writer writes for the chunk's rows, made column-wise by joins, or None when a cell needs
    what only the writer (or `_csv_row`) does: a text cell that is not ASCII text or starts a line like a
    formula, a field to quote (a comma, a double quote or a line break), or a row of another width.

    Each line is ``%s`` of its cells joined by commas, None as an empty field: the text csv.writer gives for
    text, numbers (``repr`` of a float, ``str`` of an int) and booleans when no field needs quotes. Rows of a
    single column are left to the writer, which quotes an empty field alone on its line.
    """
    if isinstance(chunk, Columns):
        given = chunk.columns
        count = len(given[0]) if given else 0
        if len(given) != width or set(map(len, given)) != {count}:
            return None
    else:
        count = len(chunk)
        if set(map(len, chunk)) != {width}:
            return None
        given = list(zip(*chunk, strict=True))
    if not count or width < 2:
        return None
    blank = _BLANK.get
    columns = [list(map(blank, column, column)) for column in given]
    for position in text_columns:
        try:
            text = "\n".join(columns[position])  # type: ignore[arg-type]  # TypeError: a cell of another type
        except TypeError:
            return None
        if not text.isascii() or _formula_line(text):
            return None
    line = ",".join(["%s"] * width) + "\r\n"
    lines = "".join(map(line.__mod__, zip(*columns, strict=True)))
    # Every comma and line break is one the lines put there: no field holds one, so none needs quotes.
    if (
        '"' in lines
        or lines.count(",") != count * (width - 1)
        or lines.count("\n") != count
        or lines.count("\r") != count
    ):
        return None
    return lines


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


def _csv_row(row: Sequence[Cell]) -> list[Cell]:
    return [_csv_text(cell) if isinstance(cell, str) else cell for cell in row]


def _plain(rows: Sequence[Sequence[Cell]], text_columns: Sequence[int]) -> bool:
    """Whether no cell of the rows needs a change in CSV, looking only at the columns that may hold text: their
    text cells, joined by line feeds, are ASCII and no line starts like a formula. (A cell holding a line feed
    may make this answer False needlessly, never True wrongly.)"""
    for column in text_columns:
        text = "\n".join([cell for row in rows if isinstance(cell := row[column], str)])
        if not text.isascii() or _formula_line(text):
            return False
    return True


def _formula_line(text: str) -> bool:
    """Whether a line of the text starts like a formula (lines end at line feeds): a few substring searches,
    each a fast scan of the text."""
    return text.startswith(FORMULA_STARTS) or any(start in text for start in _FORMULA_AFTER_BREAK)


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
    for chunk in table.chunks:
        rows = _rows(chunk)
        if not rows:
            continue
        try:
            # One call for the chunk: the array's items are the objects, joined by commas.
            objects = orjson.dumps([dict(zip(columns, row, strict=True)) for row in rows])[1:-1]
        except orjson.JSONEncodeError:
            # What orjson refuses (text UTF-8 cannot carry, integers beyond 64 bits): row by row, with the
            # standard library, which writes any integer.
            objects = b",".join(_json_object(columns, row) for row in rows)
        yield (b"" if first else b",") + objects
        first = False
    yield b"]}"


def _json_object(columns: list[str], row: Sequence[Cell]) -> bytes:
    cells = {
        name: encodable(cell) if isinstance(cell, str) else _finite(cell)
        for name, cell in zip(columns, row, strict=True)
    }
    return json.dumps(cells, ensure_ascii=False, separators=(",", ":")).encode()


def _finite(cell: Cell) -> Cell:
    """A cell JSON can carry: a float that is not finite (never a score) is written as null, as orjson does."""
    return None if isinstance(cell, float) and not math.isfinite(cell) else cell


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
    bold = workbook.add_format({"bold": True})
    sheets = 0

    def new_sheet() -> Any:
        nonlocal sheets
        sheets += 1
        # More rows than a worksheet holds go on to the next one ("Name (2)", ...), under the same header.
        suffix = "" if sheets == 1 else f" ({sheets})"
        sheet = workbook.add_worksheet(sheet_name[: 31 - len(suffix)] + suffix)
        for column, name in enumerate(table.columns):
            sheet.write_string(0, column, _xlsx_text(name), bold)
        return sheet

    sheet = new_sheet()
    row_number = 1
    for chunk in table.chunks:
        for row in _rows(chunk):
            if row_number == XLSX_MAX_ROWS:
                sheet, row_number = new_sheet(), 1
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
