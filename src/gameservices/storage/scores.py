"""Repository of scores: the per-user per-rule ledger and each user's total on a game object."""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select

from gameservices.storage import periods as period_repository
from gameservices.storage.prepared import driver_chunks
from gameservices.storage.schema import user_rule_scores, user_scores
from gameservices.storage.upsert import upsert_tuples

RuleScoreKey = tuple[str, str, str]  # (game object id, rule id, user id)
_LOAD_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class UserScoreRow:
    """A user's total on a game object, when they reached it, and whether their policy hides them."""

    game_object_id: str
    user_id: str
    score: float
    reached_at: float
    hidden: bool


def add_rule_scores(
    conn: Connection, partner_id: int, deltas: Mapping[RuleScoreKey, float], now: float
) -> None:
    """Add points to the ledger (a delta may be negative for external and override rules)."""
    rows = [
        (partner_id, object_id, user_id, rule_id, delta, now)
        for (object_id, rule_id, user_id), delta in deltas.items()
    ]
    upsert_tuples(
        conn,
        user_rule_scores,
        ("partner_id", "game_object_id", "user_id", "rule_id", "score", "updated_at"),
        rows,
        keys=("partner_id", "game_object_id", "user_id", "rule_id"),
        set_=lambda new: {"score": user_rule_scores.c.score + new.score, "updated_at": new.updated_at},
    )


def save_user_scores(conn: Connection, partner_id: int, rows: Iterable[UserScoreRow]) -> None:
    """Write users' totals (rows of a period's board, keyed "<game object id>#<index>", go to period_scores)."""
    values = []
    in_periods = []
    for row in rows:
        if "#" in row.game_object_id:
            in_periods.append((row.game_object_id, row.user_id, row.score, row.reached_at, row.hidden))
        else:
            values.append(
                (partner_id, row.game_object_id, row.user_id, row.score, row.reached_at, row.hidden)
            )
    if in_periods:
        period_repository.save_period_scores(conn, partner_id, in_periods)
    upsert_tuples(
        conn,
        user_scores,
        ("partner_id", "game_object_id", "user_id", "score", "reached_at", "hidden"),
        values,
        keys=("partner_id", "game_object_id", "user_id"),
        set_=lambda new: {"score": new.score, "reached_at": new.reached_at, "hidden": new.hidden},
    )


def user_score_chunks(conn: Connection, partner_id: int) -> Iterator[Sequence[Sequence[Any]]]:
    """Every user total of the partner as (board, user, score, reached_at, hidden) rows, ordered by board, in lists
    of up to 10,000 read by the driver's cursor: the all-time boards (keyed by game object), then the periods'
    ("<game object id>#<index>"). `hidden` is a bool or, on SQLite, 0 or 1."""
    yield from _all_time_chunks(conn, partner_id)
    yield from period_repository.period_score_chunks(conn, partner_id)


def _all_time_chunks(conn: Connection, partner_id: int) -> Iterator[Sequence[Sequence[Any]]]:
    statement = (
        select(
            user_scores.c.game_object_id,
            user_scores.c.user_id,
            user_scores.c.score,
            user_scores.c.reached_at,
            user_scores.c.hidden,
        )
        .where(user_scores.c.partner_id == partner_id)
        .order_by(user_scores.c.game_object_id)
    )
    return driver_chunks(conn, statement, _LOAD_CHUNK)


def scores_of_object(conn: Connection, partner_id: int, game_object_id: str) -> list[UserScoreRow]:
    """Every user total of one game object, its periods' included."""
    statement = select(
        user_scores.c.game_object_id,
        user_scores.c.user_id,
        user_scores.c.score,
        user_scores.c.reached_at,
        user_scores.c.hidden,
    ).where((user_scores.c.partner_id == partner_id) & (user_scores.c.game_object_id == game_object_id))
    rows = [UserScoreRow(*row) for row in conn.execute(statement)]
    return rows + [
        UserScoreRow(*row)
        for row in period_repository.period_scores_of_object(conn, partner_id, game_object_id)
    ]


def all_rule_scores(conn: Connection, partner_id: int) -> dict[RuleScoreKey, float]:
    """The partner's whole ledger: (game object id, rule id, user id) → points."""
    statement = select(
        user_rule_scores.c.game_object_id,
        user_rule_scores.c.rule_id,
        user_rule_scores.c.user_id,
        user_rule_scores.c.score,
    ).where(user_rule_scores.c.partner_id == partner_id)
    return {
        (str(obj), str(rule), str(user)): float(score) for obj, rule, user, score in conn.execute(statement)
    }


def rule_scores_of_user(
    conn: Connection, partner_id: int, game_object_id: str, user_id: str
) -> dict[str, float]:
    """A user's ledger on one game object: rule id → points."""
    statement = select(user_rule_scores.c.rule_id, user_rule_scores.c.score).where(
        (user_rule_scores.c.partner_id == partner_id)
        & (user_rule_scores.c.game_object_id == game_object_id)
        & (user_rule_scores.c.user_id == user_id)
    )
    return {row.rule_id: row.score for row in conn.execute(statement)}


def rule_scores_of_object(
    conn: Connection, partner_id: int, game_object_id: str
) -> dict[tuple[str, str], float]:
    """The whole ledger of one game object: (user id, rule id) → points."""
    statement = select(
        user_rule_scores.c.user_id, user_rule_scores.c.rule_id, user_rule_scores.c.score
    ).where(
        (user_rule_scores.c.partner_id == partner_id) & (user_rule_scores.c.game_object_id == game_object_id)
    )
    return {(user_id, rule_id): score for user_id, rule_id, score in conn.execute(statement)}


def rule_scores_of_users(
    conn: Connection, partner_id: int, game_object_id: str, user_ids: Sequence[str], rule_ids: Iterable[str]
) -> dict[tuple[str, str], float]:
    """Some users' ledger rows of some rules of one game object: (user id, rule id) → points (by the key)."""
    rules = list(rule_ids)
    if not user_ids or not rules:
        return {}
    statement = select(
        user_rule_scores.c.user_id, user_rule_scores.c.rule_id, user_rule_scores.c.score
    ).where(
        (user_rule_scores.c.partner_id == partner_id)
        & (user_rule_scores.c.game_object_id == game_object_id)
        & user_rule_scores.c.user_id.in_(list(user_ids))
        & user_rule_scores.c.rule_id.in_(rules)
    )
    return {(user_id, rule_id): score for user_id, rule_id, score in conn.execute(statement)}


def delete_scores_of_object(conn: Connection, partner_id: int, game_object_id: str) -> None:
    """Remove every score of a game object (its periods' included)."""
    period_repository.delete_period_scores(conn, partner_id, game_object_id, None)
    for table in (user_rule_scores, user_scores):
        conn.execute(
            delete(table).where(
                (table.c.partner_id == partner_id) & (table.c.game_object_id == game_object_id)
            )
        )


def delete_user_scores(conn: Connection, partner_id: int, game_object_id: str, user_id: str) -> bool:
    """Remove one user's total, per-period totals and ledger on a game object; False when the user had no total."""
    period_repository.delete_period_scores(conn, partner_id, game_object_id, user_id)
    removed = False
    for table in (user_scores, user_rule_scores):
        result = conn.execute(
            delete(table).where(
                (table.c.partner_id == partner_id)
                & (table.c.game_object_id == game_object_id)
                & (table.c.user_id == user_id)
            )
        )
        removed = removed or (table is user_scores and result.rowcount > 0)
    return removed
