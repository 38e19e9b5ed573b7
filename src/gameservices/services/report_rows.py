"""The rows of the userScore, badge and certificate reports, built from what their list actions return.

Rows are made a chunk at a time. The userScore report reads its ledger and its users' names and e-mails with
one set-based query each (`gameservices.storage.report_queries`), so what it holds whole is one compact entry
per user (standing, ledger row, profile fields), never the rows; the badge and certificate reports look the
names up one chunk at a time.
"""

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

from gameservices.domain.engine import collector_paused
from gameservices.services import user_badge, user_certificate_report
from gameservices.services.live import Board, LiveState
from gameservices.services.report_formats import Cell, Rows, Table
from gameservices.storage import report_queries
from gameservices.storage import rules as rule_repository
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


def rule_columns(rules: Sequence[RuleRecord]) -> list[str]:
    """One column per rule, named after the rule (its id added when two rules share a name)."""
    names = [rule.name for rule in rules]
    return [
        name if names.count(name) == 1 else f"{name} ({rule.id})"
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


def ledger_rows(
    conn: Connection, partner_id: int, game_object_id: str, rules: Sequence[RuleRecord]
) -> dict[str, Sequence[Any]]:
    """Each scored user's ledger row ``(user id, points from each rule in rule order)`` as the database returned
    it: floats, None for no points."""
    found: dict[str, Sequence[Any]] = {}
    with collector_paused():
        for chunk in report_queries.rule_scores_of_object(conn, partner_id, game_object_id, _ids(rules)):
            found.update(zip(map(itemgetter(0), chunk), chunk, strict=True))
    return found


def whole_numbers(values: Iterable[Any]) -> dict[Any, float | int]:
    """A table that shows each of these values as the report does, through ``table.get(value, value)``: whole
    floats as ints (as `number` does), None (no points) as 0, and every other value as itself (absent)."""
    table: dict[Any, float | int] = {None: 0}
    for value in set(values):
        if isinstance(value, float) and value.is_integer():
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
    # Many short-lived tuples and no cycles: collector passes would only re-scan the live state.
    with collector_paused():
        with live.reading(conn, partner_id) as state:
            board = state.boards.get(game_object_id) or Board()
            ordered = [
                (-standing.score, standing.reached_at, user_id, standing.hidden)
                for user_id, standing in board.standings()
            ]
        # The rank index keeps this same order for the displayed users; one sort serves both kinds of user.
        ordered.sort()
        ranked: list[tuple[int | None, str, float]] = []
        hidden: list[tuple[int | None, str, float]] = []
        for negated_score, _, user_id, is_hidden in ordered:
            if is_hidden:
                hidden.append((None, user_id, -negated_score))
            else:
                ranked.append((len(ranked) + 1, user_id, -negated_score))
        del ordered
        ranked += hidden
    return ranked


def user_score(conn: Connection, *, live: LiveState, partner_id: int, record: GameObjectRecord) -> Table:
    """``rank,score,userId,userName,userEmail`` and one column per rule: the ranked users as userScore/list
    ranks them, then the users their policy hides, with an empty rank.

    The standings, the ledger and the names are each read whole with one set-based query; the rows are then
    made a chunk at a time, in rank order."""
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    ranked = standings(conn, live, partner_id, record.id)
    ledger = ledger_rows(conn, partner_id, record.id, rules)
    named = people_of_object(conn, partner_id, record.id)
    # Scores and points repeat a great deal: each distinct value is converted once, the cells by lookups.
    values = chain.from_iterable(map(itemgetter(slice(1, None)), ledger.values()))
    show = whole_numbers(chain(map(itemgetter(2), ranked), values)).get
    no_points = (0,) * len(rules)
    # One entry per user: (name, email, shown points...). Both reads come in user id order, so merging them
    # here touches memory in order; the rows then need one lookup each.
    entries: dict[str, tuple[Any, ...]] = {}
    with collector_paused():
        take = named.pop
        while ledger:
            user_id, row = ledger.popitem()
            _, name, email = take(user_id, NO_PROFILE)
            points = row[1:]
            entries[user_id] = (name, email, *map(show, points, points))
        while named:
            user_id, (_, name, email) = named.popitem()
            entries[user_id] = (name, email, *no_points)
    nothing = (None, None, *no_points)

    def chunks() -> Iterator[Rows]:
        get = entries.get
        for start in range(0, len(ranked), CHUNK_ROWS):
            with collector_paused():
                rows: Rows = [
                    [rank, show(score, score), user_id, *get(user_id, nothing)]
                    for rank, user_id, score in ranked[start : start + CHUNK_ROWS]
                ]
            yield rows

    return Table(["rank", "score", *PEOPLE, *rule_columns(rules)], chunks(), text_columns=(2, 3, 4))


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

    tail = ["ruleId", "ruleName", "progress", "completed"] if per_rule else rule_columns(rules)
    columns = [*PEOPLE, "status", "achievedTimestamp", *tail]
    return Table(columns, _chunked(conn, partner_id, listed, rows_of))


def certificate(
    conn: Connection, *, partner_id: int, record: GameObjectRecord, per_entry: bool, full: bool
) -> Table:
    """userCertificateReport/list as a table: every user certificate (per entry with ``per_entry``); ``full``
    adds the certificate id and each rule's score to the status columns."""
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    listed = user_certificate_report.list_page(
        conn,
        partner_id=partner_id,
        record=record,
        user_id=None,
        entry_id=None,
        status=None,
        offset=0,
        limit=EVERYONE,
    )["objects"]

    def rows_of(item: dict[str, Any], person: Person) -> Rows:
        row: list[Cell] = [item["id"]] if full else []
        row += [item["userId"], *person]
        if per_entry:
            row += [item["entryId"], item["entryName"]]
        row += [item["status"], item["credits"], item["certificationDate"]]
        if full:
            scores = {rule["id"]: rule["score"] for rule in item["rulesData"]}
            row += [scores.get(rule.id, 0) for rule in rules]
        return [row]

    columns = (["id"] if full else []) + PEOPLE + (["entryId", "entryName"] if per_entry else [])
    columns += ["status", "credits", "certificationDate", *(rule_columns(rules) if full else [])]
    return Table(columns, _chunked(conn, partner_id, listed, rows_of))


def _chunked(
    conn: Connection,
    partner_id: int,
    listed: list[dict[str, Any]],
    rows_of: Callable[[dict[str, Any], Person], Rows],
) -> Iterator[Rows]:
    for start in range(0, len(listed), CHUNK_ROWS):
        part = listed[start : start + CHUNK_ROWS]
        named = people(conn, partner_id, sorted({item["userId"] for item in part}))
        rows: Rows = []
        for item in part:
            rows.extend(rows_of(item, named.get(item["userId"], NOBODY)))
        yield rows
