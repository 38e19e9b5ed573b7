"""User profiles from CSV text (``userProfile/importFromCSV``): one profile per row.

The header names ``userId`` and any of ``email``, ``firstName``, ``lastName``, ``fullName`` and ``groups`` (in any
case); every other column is a key of ``profileData``, named as written. Cells are trimmed; an empty cell leaves
its field out of the row (the stored value stays). ``groups`` lists group ids separated by ``;``
(``speakers; vip``). A user is on one row only: a user id already on an earlier row is refused. The whole text is
read before anything is applied, with the problems of `gameservices.domain.csv_table`.
"""

from dataclasses import dataclass, field
from typing import Any

from gameservices.domain.csv_table import CsvResult, check_header, quote, read_rows, row_cells
from gameservices.domain.events import MAX_USER_ID_CHARS

MAX_PROFILE_ROWS = 100_000
GROUP_SEPARATOR = ";"
MAX_GROUPS = 100
MAX_NAME_CHARS = 256
MAX_EMAIL_CHARS = 320
# The profile's own fields, by their lower-case header name; the limit of each cell.
PROFILE_FIELDS = {
    "userid": ("userId", MAX_USER_ID_CHARS),
    "email": ("email", MAX_EMAIL_CHARS),
    "firstname": ("firstName", MAX_NAME_CHARS),
    "lastname": ("lastName", MAX_NAME_CHARS),
    "fullname": ("fullName", MAX_NAME_CHARS),
    "groups": ("groups", MAX_NAME_CHARS),
}

Profile = dict[str, Any]


@dataclass
class CsvProfiles(CsvResult):
    """What a file holds: a profile's fields per row with the line it came from, or the problems that refuse it."""

    profiles: list[Profile] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def read_profiles(text: str, *, max_rows: int = MAX_PROFILE_ROWS) -> CsvProfiles:
    """Read every row of a CSV text into profile fields; raise TooManyRows past the limit."""
    result = CsvProfiles()

    def read_header(line: int, header: list[str]) -> "_ProfileRows | None":
        lowered = check_header(result, line, header)
        if "userid" not in lowered:
            result.refuse(line, "userId", "the header must name a userId column")
        for name, lower in zip(header, lowered, strict=True):
            if lower == "profiledata":
                result.refuse(line, name, "name each profileData key as a column of its own")
            elif len(name) > MAX_NAME_CHARS:
                result.refuse(line, name[:40], f"a column name has at most {MAX_NAME_CHARS} characters")
        return _ProfileRows(result, header, lowered) if result.valid else None

    read_rows(text, result, read_header, max_rows=max_rows)
    return result


class _ProfileRows:
    """Turns the rows under one header into profile fields, recording problems in the result."""

    def __init__(self, result: CsvProfiles, header: list[str], lowered: list[str]) -> None:
        self.result = result
        self.header = header
        self.first_lines: dict[str, int] = {}  # user id → the line that first named it
        # (profile field or None for a profileData key, header as written, cell limit)
        self.columns = [
            (PROFILE_FIELDS[lower][0], name, PROFILE_FIELDS[lower][1])
            if lower in PROFILE_FIELDS
            else (None, name, 0)
            for name, lower in zip(header, lowered, strict=True)
        ]

    def __call__(self, line: int, raw: list[str]) -> None:
        cells = row_cells(self.result, line, raw, len(self.header))
        if cells is None:
            return
        profile: Profile = {}
        data: dict[str, str] = {}
        for (name, column, limit), value in zip(self.columns, cells, strict=True):
            if name is None:
                if value:
                    data[column] = value
            elif name == "groups":
                groups = self.groups(line, column, value)
                if groups:
                    profile[name] = groups
            elif not value:
                if name == "userId":
                    self.result.refuse(line, column, "a user id is required")
            elif len(value) > limit:
                self.result.refuse(line, column, f"{_what(name)} has at most {limit} characters")
            elif name == "userId" and (first := self.first_lines.setdefault(value, line)) != line:
                self.result.refuse(line, column, f"the user id {quote(value)} is already on line {first}")
            else:
                profile[name] = value
        if data:
            profile["profileData"] = data
        if line not in self.result.bad_lines:
            self.result.profiles.append(profile)
            self.result.lines.append(line)

    def groups(self, line: int, column: str, value: str) -> list[str]:
        """The group ids of a ``groups`` cell (``a;b``), or none after recording why they are refused."""
        groups = [group.strip() for group in value.split(GROUP_SEPARATOR) if group.strip()]
        if len(groups) > MAX_GROUPS:
            self.result.refuse(line, column, f"at most {MAX_GROUPS} groups")
            return []
        for group in groups:
            if len(group) > MAX_NAME_CHARS:
                self.result.refuse(line, column, f"a group id has at most {MAX_NAME_CHARS} characters")
                return []
        return groups


def _what(name: str) -> str:
    return "a user id" if name == "userId" else name
