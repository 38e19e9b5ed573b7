"""The rows of the userScore and badge reports, built from what their list actions return (the certificate
reports' are in `report_certificate`).

Rows are made a chunk at a time. The userScore report decodes its standings from the rank index in bulk and
reads its ledger and its users' names and e-mails with one set-based query each
(`gameservices.storage.report_queries`), so what it holds whole is the users' ids and scores in rank order and
the rows the two queries returned, never the report's rows; the badge and certificate reports look the names
up one chunk at a time (`chunked`).
"""

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice, repeat
from operator import itemgetter
from typing import Any

from gameservices.domain.engine import collector_paused
from gameservices.domain.timefmt import now_ms
from gameservices.domain.values import MAX_SCORE, shown_number
from gameservices.projection.board import Board, UserStanding
from gameservices.projection.live import LiveState
from gameservices.services.periods.recurrence import Period, board_of
from gameservices.services.reports.formats import Cell, Chunk, Columns, Rows, Table
from gameservices.services.standings import user_badge
from gameservices.storage import checkpoints, report_queries
from gameservices.storage import rules as rule_repository
from gameservices.storage import scores as score_repository
from gameservices.storage import user_profiles as profile_repository
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord

CHUNK_ROWS = 1_000
PEOPLE = ["userId", "userName", "userEmail"]
EVERYONE = sys.maxsize
Person = tuple[str | None, str | None]
"""A user's name and e-mail (None when unknown)."""
NOBODY: Person = (None, None)
NO_PROFILE = (None, None, None)
"""A `people_of_object` row for a user without a profile."""


def rule_columns(rules: Sequence[RuleRecord], fixed: Sequence[str] = ()) -> list[str]:
    """One column per rule, named after the rule (its id added when two rules share a name, or when it is the
    name of one of the report's `fixed` columns: a JSON report's objects would keep only one of the two)."""
    names = [rule.name for rule in rules]
    return [
        name if names.count(name) == 1 and name not in fixed else f"{name} ({rule.id})"
        for name, rule in zip(names, rules, strict=True)
    ]


def _ids(rules: Sequence[RuleRecord]) -> list[str]:
    return [rule.id for rule in rules]


def people(conn: Connection, partner_id: int, user_ids: list[str]) -> dict[str, Person]:
    """Each user's name and e-mail from their profile (users without one are left out)."""
    found = profile_repository.get_profiles(conn, partner_id=partner_id, user_ids=user_ids)
    named: dict[str, Person] = {}
    for user_id, record in found.items():
        data = record.data
        # The name userProfile/get shows: fullName, else first and last names.
        full_name = data.get("fullName") or " ".join(
            part for part in (data.get("firstName"), data.get("lastName")) if part
        )
        named[user_id] = (full_name or None, record.email)
    return named


def rule_scores_by_user(
    conn: Connection, partner_id: int, game_object_id: str, rules: Sequence[RuleRecord]
) -> dict[str, list[float]]:
    """Each scored user's points from every rule of the game object, in rule order."""
    by_user: dict[str, list[float]] = {}
    with collector_paused():
        for chunk in report_queries.rule_scores_of_object(conn, partner_id, game_object_id, _ids(rules)):
            for user_id, *points in chunk:
                by_user[user_id] = [0.0 if value is None else 0.0 + value for value in points]
    return by_user


def whole_numbers(values: Iterable[Any]) -> dict[Any, float | int]:
    """A table that shows each of these values as the report does, through ``table.get(value, value)``: whole
    floats as ints (as `number` does), None (no points) as 0, and every other value as itself (absent)."""
    table: dict[Any, float | int] = {None: 0}
    for value in set(values):
        if isinstance(value, float) and value.is_integer() and -MAX_SCORE <= value <= MAX_SCORE:
            table[value] = int(value)
    return table


def people_of_object(conn: Connection, partner_id: int, game_object_id: str) -> dict[str, Sequence[Any]]:
    """``(user id, name, email)`` of each scored user of the game object that has a profile, by user id (see
    `person`)."""
    found: dict[str, Sequence[Any]] = {}
    with collector_paused():
        for chunk in report_queries.people_of_object(conn, partner_id, game_object_id):
            found.update(zip(map(itemgetter(0), chunk), chunk, strict=True))
    return found


def person(fields: Sequence[Any] | None) -> Person:
    """The name and e-mail of a `people_of_object` row, or NOBODY for a user without a profile."""
    return NOBODY if fields is None else (fields[1], fields[2])


def standings(
    conn: Connection, live: LiveState, partner_id: int, game_object_id: str
) -> list[tuple[int | None, str, float]]:
    """(rank, user id, score) of every scored user in leaderboard order (score descending, then who reached it
    first, then user id): the displayed users ranked as userScore/list ranks them, then the hidden ones
    without a rank."""
    user_ids, scores, displayed = ordered_users(conn, live, partner_id, game_object_id)
    return list(zip(ranks_of(displayed, len(user_ids)), user_ids, scores, strict=True))


def ordered_users(
    conn: Connection, live: LiveState, partner_id: int, game_object_id: str, period: Period = "all"
) -> tuple[list[str], list[float], int]:
    """Every scored user's id and score in leaderboard order, and how many of them are displayed (ranked):
    `Board.ordered` of the game object's board (of a period's, when given) as the tables read in the
    transaction of `conn` hold it, so that a report's ledger cells and names, read there too, add up to it.

    That board is the partner's live state's whenever the state reflects exactly the log entries those tables do
    (the usual case: the report brought the tables up to the state just before); a write that landed in between
    moved the state past them, and the board is then built from the tables."""
    with live.reading(conn, partner_id) as state:
        key, _ = board_of(state.timeline(game_object_id), game_object_id, period, now_ms())
        if state.log_seq == checkpoints.read(conn, partner_id):
            board = state.boards.get(key)
            return ([], [], 0) if board is None else board.ordered()
    return _stored_board(conn, partner_id, game_object_id, key).ordered()


def _stored_board(conn: Connection, partner_id: int, game_object_id: str, key: str) -> Board:
    """The board `key` of a game object as its scores' table holds it."""
    board = Board()
    for row in score_repository.scores_of_object(conn, partner_id, game_object_id):
        if row.game_object_id == key:
            board.put(row.user_id, UserStanding(row.score, row.reached_at, row.hidden))
    return board


def ranks_of(displayed: int, count: int) -> Iterator[int | None]:
    """The rank of each of `count` users in leaderboard order: 1 to `displayed`, then None."""
    return chain(range(1, displayed + 1), repeat(None, count - displayed))


class Shown(dict[Any, Cell]):
    """Each number as the report shows it, through ``shown[value]``: whole floats as ints (as `number` does),
    None (no points) as 0, and every other value as itself. Each distinct value is converted once and
    remembered: scores and points repeat a great deal."""

    def __missing__(self, value: Any) -> Cell:
        shown: Cell
        if value is None:
            shown = 0
        elif isinstance(value, float):
            shown = shown_number(value)
        else:
            shown = value
        self[value] = shown
        return shown


def user_score(
    conn: Connection, *, live: LiveState, partner_id: int, record: GameObjectRecord, period: Period = None
) -> Table:
    """``rank,score,userId,userName,userEmail`` and one column per rule: the ranked users as userScore/list
    ranks them, then the users their policy hides, with an empty rank.

    The standings come from the live board, decoded in bulk; each user's ledger cells, name and email come from
    one query that returns them in leaderboard order too. When both orders agree (the usual case: the board
    is the database's scores) the rows pair up by position; otherwise each board user's row is looked up by
    user id. The rows are then made a chunk at a time, column by column (`Columns`), with no Python code run per
    user."""
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    if period != "all" and isinstance(record.data.get("recurrence"), dict):
        rules = []  # a period of a recurring leaderboard: no rule columns (the ledger is all-time)
    # Many long-lived tuples and no cycles: collector passes would only re-scan them.
    with collector_paused():
        user_ids, scores, displayed = ordered_users(conn, live, partner_id, record.id, period)
        found = list(
            chain.from_iterable(report_queries.user_score_rows(conn, partner_id, record.id, _ids(rules)))
        )
        if list(map(itemgetter(0), found)) != user_ids:
            by_user = dict(zip(map(itemgetter(0), found), found, strict=True))
            found = list(map(by_user.get, user_ids, repeat((None,) * (len(rules) + 3))))
            del by_user
    show = Shown().__getitem__

    def chunks() -> Iterator[Chunk]:
        ranks = ranks_of(displayed, len(user_ids))
        for start in range(0, len(user_ids), CHUNK_ROWS):
            with collector_paused():
                part = found[start : start + CHUNK_ROWS]
                # The query's columns for these users: user id, each rule's points, name, email.
                _, *points, names, emails = zip(*part, strict=True)
                columns = Columns(
                    [
                        list(islice(ranks, len(part))),
                        list(map(show, scores[start : start + CHUNK_ROWS])),
                        user_ids[start : start + CHUNK_ROWS],
                        names,
                        emails,
                        *(list(map(show, column)) for column in points),
                    ]
                )
            yield columns

    fixed = ["rank", "score", *PEOPLE]
    return Table([*fixed, *rule_columns(rules, fixed)], chunks(), text_columns=(2, 3, 4))


def badge(conn: Connection, *, partner_id: int, record: GameObjectRecord, per_rule: bool) -> Table:
    """userBadge/list as a table: one row per user with each rule's progress, or (``per_rule``, the
    userBadge report) one row per user and rule."""
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    listed = user_badge.list_page(
        conn, partner_id=partner_id, record=record, user_id=None, status=None, offset=0, limit=EVERYONE
    )["objects"]
    names = {rule.id: rule.name for rule in rules}

    def rows_of(item: dict[str, Any], person: Person) -> Rows:
        head: list[Cell] = [item["userId"], *person, item["status"], item["achievedTimestamp"]]
        if not per_rule:
            return [[*head, *(rule["progress"] for rule in item["rulesData"])]]
        return [
            [*head, rule["id"], names.get(rule["id"]), rule["progress"], rule["completed"]]
            for rule in item["rulesData"]
        ]

    head = [*PEOPLE, "status", "achievedTimestamp"]
    tail = ["ruleId", "ruleName", "progress", "completed"] if per_rule else rule_columns(rules, head)
    columns = [*head, *tail]
    return Table(columns, chunked(conn, partner_id, listed, rows_of))


def chunked(
    conn: Connection,
    partner_id: int,
    listed: list[dict[str, Any]],
    rows_of: Callable[[dict[str, Any], Person], Rows],
) -> Iterator[Rows]:
    """The rows made of each listed item, a chunk of items at a time, with the users' names and e-mails."""
    for start in range(0, len(listed), CHUNK_ROWS):
        part = listed[start : start + CHUNK_ROWS]
        named = people(conn, partner_id, sorted({item["userId"] for item in part}))
        rows: Rows = []
        for item in part:
            rows.extend(rows_of(item, named.get(item["userId"], NOBODY)))
        yield rows
