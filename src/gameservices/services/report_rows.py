"""The rows of the userScore, badge and certificate reports, built from what their list actions return.

Rows are made a chunk at a time, and the people's names and e-mails looked up one chunk at a time: what a
report holds whole is one compact entry per user (its standing and per-rule scores), never the rows.
"""

import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from gameservices.services import user_badge, user_certificate_report
from gameservices.services.live import Board, LiveState
from gameservices.services.report_formats import Cell, Rows, Table
from gameservices.services.user_score import number
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


def rule_columns(rules: Sequence[RuleRecord]) -> list[str]:
    """One column per rule, named after the rule (its id added when two rules share a name)."""
    names = [rule.name for rule in rules]
    return [
        name if names.count(name) == 1 else f"{name} ({rule.id})"
        for name, rule in zip(names, rules, strict=True)
    ]


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
    position = {rule.id: index for index, rule in enumerate(rules)}
    ledger = score_repository.rule_scores_of_object(conn, partner_id, game_object_id)
    by_user: dict[str, list[float]] = {}
    # Emptying the ledger while regrouping it frees each row as it is read: the two never both hold every row.
    while ledger:
        (user_id, rule_id), score = ledger.popitem()
        index = position.get(rule_id)
        if index is not None:
            scores = by_user.get(user_id)
            if scores is None:
                scores = by_user[user_id] = [0.0] * len(rules)
            scores[index] += score
    return by_user


def standings(
    conn: Connection, live: LiveState, partner_id: int, game_object_id: str
) -> list[tuple[int | None, str, float]]:
    """(rank, user id, score) of every scored user in leaderboard order (score descending, then who reached it
    first, then user id): the displayed users ranked as userScore/list ranks them, then the hidden ones
    without a rank."""
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
    return ranked + hidden


def user_score(conn: Connection, *, live: LiveState, partner_id: int, record: GameObjectRecord) -> Table:
    """``rank,score,userId,userName,userEmail`` and one column per rule: the ranked users as userScore/list
    ranks them, then the users their policy hides, with an empty rank."""
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=record.id)
    ledger = rule_scores_by_user(conn, partner_id, record.id, rules)
    ranked = standings(conn, live, partner_id, record.id)
    zeros = [0.0] * len(rules)

    def chunks() -> Iterator[Rows]:
        for start in range(0, len(ranked), CHUNK_ROWS):
            part = ranked[start : start + CHUNK_ROWS]
            named = people(conn, partner_id, [user_id for _, user_id, _ in part])
            yield [
                [
                    rank,
                    number(score),
                    user_id,
                    *named.get(user_id, NOBODY),
                    *(number(value) for value in ledger.get(user_id, zeros)),
                ]
                for rank, user_id, score in part
            ]

    return Table(["rank", "score", *PEOPLE, *rule_columns(rules)], chunks())


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
