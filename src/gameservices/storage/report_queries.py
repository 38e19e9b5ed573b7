"""Set-based reads for the reports: a game object's per-rule ledger pivoted to one row per user, the names and
e-mails of its scored users, and both together in leaderboard order, each read with one query and streamed in
chunks.

Only the columns a report shows are read. The ledger is pivoted in SQL (one column per rule), and the name
fields are extracted from the profile's JSON by the database, so no profile document is decoded in Python.
On SQLite the rows come straight from the driver's cursor, in the caller's transaction, without SQLAlchemy's
per-row result processing; on other databases through a server-side cursor (``stream_results``).
"""

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, String, case, func, select

from gameservices.storage.prepared import driver_chunks
from gameservices.storage.schema import user_profiles, user_rule_scores, user_scores

CHUNK_ROWS = 5_000
"""Rows fetched from the database at a time."""
NAME_FIELDS = ("fullName", "firstName", "lastName")
"""The profile fields a report's name is made of."""


def rule_scores_of_object(
    conn: Connection, partner_id: int, game_object_id: str, rule_ids: Sequence[str]
) -> Iterator[Sequence[Sequence[Any]]]:
    """The ledger of a game object, one row per user who has points from any rule of it:
    ``(user id, points from rule_ids[0], points from rule_ids[1], ...)``, None where the user has no points
    from that rule. Ledger rows of rules not in ``rule_ids`` are ignored (their users may get a row of Nones).

    The ledger's primary key holds one row per (user, rule), so each cell is that row's value, unchanged.
    """
    ledger = user_rule_scores.c
    columns = [
        func.max(case((ledger.rule_id == rule_id, ledger.score), else_=None)).label(f"rule_{position}")
        for position, rule_id in enumerate(rule_ids)
    ]
    statement = (
        select(ledger.user_id, *columns)
        .where((ledger.partner_id == partner_id) & (ledger.game_object_id == game_object_id))
        .group_by(ledger.user_id)
    )
    return _chunks(conn, statement)


def people_of_object(
    conn: Connection, partner_id: int, game_object_id: str
) -> Iterator[Sequence[Sequence[Any]]]:
    """The scored users of a game object that have a profile: ``(user id, name, email)``.

    The name is the one userProfile/get shows: the profile's fullName, else its first and last names joined by
    a space (either alone when the other is missing), else None. It is made by the database from the profile's
    JSON, whose name fields are text (``userProfile/add`` and ``update`` accept strings only).
    """
    scores, profiles = user_scores.c, user_profiles.c
    statement = (
        select(profiles.user_id, _name(conn), profiles.email)
        .select_from(
            user_scores.join(
                user_profiles,
                (profiles.partner_id == scores.partner_id) & (profiles.user_id == scores.user_id),
            )
        )
        .where((scores.partner_id == partner_id) & (scores.game_object_id == game_object_id))
    )
    return _chunks(conn, statement)


def user_score_rows(
    conn: Connection, partner_id: int, game_object_id: str, rule_ids: Sequence[str]
) -> Iterator[Sequence[Sequence[Any]]]:
    """Every scored user of a game object in leaderboard order, with their ledger and profile:
    ``(user id, points from rule_ids[0], points from rule_ids[1], ..., name, email)``.

    The order is the leaderboard's as the database sorts it: displayed users first, each kind by score
    descending, then the time the user reached it, then user id (in the database's collation, which on
    SQLite is code point order). The points are as `rule_scores_of_object` gives them (None for none), the
    name and email as `people_of_object` gives them (None for a user without a profile).

    Each user's ledger cells are read by primary key in user id order, the sort coming last: the database
    visits its pages in order, and the rows need no matching by user id afterwards.
    """
    scores, profiles, ledger = user_scores.c, user_profiles.c, user_rule_scores.c
    points = [
        select(ledger.score)
        .where(
            (ledger.partner_id == scores.partner_id)
            & (ledger.game_object_id == scores.game_object_id)
            & (ledger.user_id == scores.user_id)
            & (ledger.rule_id == rule_id)
        )
        .scalar_subquery()
        .label(f"rule_{position}")
        for position, rule_id in enumerate(rule_ids)
    ]
    statement = (
        select(scores.user_id, *points, _name(conn), profiles.email)
        .select_from(
            user_scores.outerjoin(
                user_profiles,
                (profiles.partner_id == scores.partner_id) & (profiles.user_id == scores.user_id),
            )
        )
        .where((scores.partner_id == partner_id) & (scores.game_object_id == game_object_id))
        .order_by(scores.hidden, scores.score.desc(), scores.reached_at, scores.user_id)
    )
    return _chunks(conn, statement)


def _name(conn: Connection) -> ColumnElement[Any]:
    full_name, first_name, last_name = (_text_field(conn, name) for name in NAME_FIELDS)
    # Empty text counts as missing, as it does for Python's `or`.
    both = case(
        ((first_name != "") & (last_name != ""), first_name + " " + last_name),
        else_=func.coalesce(func.nullif(first_name, ""), func.nullif(last_name, "")),
    )
    return func.coalesce(func.nullif(full_name, ""), both, type_=String)


def _text_field(conn: Connection, name: str) -> ColumnElement[str]:
    """A text field of the profile's JSON document, NULL when it is missing or null."""
    data = user_profiles.c.data
    if conn.dialect.name == "sqlite":
        # json_extract gives a JSON string as its text, a missing field or JSON null as NULL.
        return func.json_extract(data, f"$.{name}", type_=String)
    field: ColumnElement[str] = data[name].as_string()
    return field


def _chunks(conn: Connection, statement: Select[Any]) -> Iterator[Sequence[Sequence[Any]]]:
    """The statement's rows, a chunk of at most `CHUNK_ROWS` at a time, read in the connection's transaction."""
    if conn.dialect.name != "sqlite":
        result = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(statement)
        yield from result.partitions(CHUNK_ROWS)
        return
    yield from driver_chunks(conn, statement, CHUNK_ROWS)
