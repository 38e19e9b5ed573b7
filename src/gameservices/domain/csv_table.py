"""CSV uploads read whole before anything is applied: decoding, the row loop, the header and cell checks every
import shares, and the problems that refuse a file (each with its 1-based line, and its column when it is
about one cell), so a caller can refuse the file as a whole and say what to fix."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_ROWS = 1_000_000
MAX_REPORTED_PROBLEMS = 100


class TooManyRows(Exception):
    """The file holds more data rows than an import accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file holds more than {limit} rows")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class CsvProblem:
    """Why a cell (or a whole line when `column` is None) cannot be imported."""

    line: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, object]:
        """The API form."""
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class CsvResult:
    """What reading a file found: how many data rows, and the problems that refuse it."""

    rows: int = 0
    problems: list[CsvProblem] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)

    @property
    def valid(self) -> bool:
        """True when nothing in the file is wrong."""
        return not self.bad_lines

    def refuse(self, line: int, column: str | None, message: str) -> None:
        """Record a problem (only the first ones are kept; every bad line is counted)."""
        self.bad_lines.add(line)
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(CsvProblem(line, column, message))


# Reads one data row: its first line and its raw cells.
RowReader = Callable[[int, list[str]], None]
# Given the header's line and its trimmed names, the reader of the rows under it (None: the header is refused).
HeaderReader = Callable[[int, list[str]], RowReader | None]


def decode_csv(data: bytes) -> tuple[str | None, CsvProblem | None]:
    """The text of an upload (UTF-8, with or without a byte order mark), or the line that is not UTF-8."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, CsvProblem(line, None, "the file is not UTF-8 text")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, CsvProblem(line, None, "text may not contain NUL characters")
    return text, None


def read_rows(text: str, result: CsvResult, read_header: HeaderReader, *, max_rows: int) -> None:
    """Hand every non-blank row of a CSV text to the reader its header gives; raise TooManyRows past
    ``max_rows`` data rows. Quoting follows RFC 4180 strictly."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    line = 1
    header_seen = False
    read_row: RowReader | None = None
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not "".join(cells).strip():
                continue
            if not header_seen:
                header_seen = True
                read_row = read_header(start, [cell.strip() for cell in cells])
                if read_row is None:
                    return
                continue
            result.rows += 1
            if result.rows > max_rows:
                raise TooManyRows(max_rows)
            assert read_row is not None
            read_row(start, cells)
    except csv.Error as error:
        result.refuse(line, None, f"the file is not valid CSV: {error}")
    if not header_seen:
        result.refuse(1, None, "the file is empty: expected a header line")


def check_header(result: CsvResult, line: int, header: list[str]) -> list[str]:
    """The header's names in lower case, after recording an unnamed or repeated column (names match in any case)."""
    lowered = [name.lower() for name in header]
    seen: set[str] = set()
    for index, name in enumerate(lowered):
        if not name:
            result.refuse(line, None, f"column {index + 1} of the header has no name")
        elif name in seen:
            result.refuse(line, header[index], "the header names this column twice")
        seen.add(name)
    return lowered


def row_cells(result: CsvResult, line: int, cells: list[str], width: int) -> list[str] | None:
    """A row's trimmed cells when it has one per column (trailing empty cells are forgiven)."""
    if len(cells) != width and not (len(cells) > width and not any(cell.strip() for cell in cells[width:])):
        result.refuse(line, None, f"expected {width} cells, found {len(cells)}")
        return None
    return [cell.strip() for cell in cells[:width]]


def quote(value: str) -> str:
    """A cell's value as a message shows it (long ones cut)."""
    shown = value if len(value) <= 40 else value[:37] + "..."
    return repr(shown)
