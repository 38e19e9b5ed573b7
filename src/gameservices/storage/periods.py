"""Repository of recurring leaderboard periods: the period ends waiting to close (the scheduler's durable jobs),
the closed periods, and each user's total per period."""

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select, update

from gameservices.domain.periods import ClosedPeriod, board_key, split_board_key
from gameservices.storage.prepared import driver_chunks
from gameservices.storage.schema import leaderboard_periods as periods
from gameservices.storage.schema import period_scores
from gameservices.storage.upsert import upsert_tuples

PENDING, CLOSED = "pending", "closed"
_LOAD_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class PeriodEnd:
    """A period end waiting to close: whose, which period, and when it is due (ms)."""

    partner_id: int
    game_object_id: str
    period_index: int
    due_at: int


def schedule_close(
    conn: Connection, partner_id: int, game_object_id: str, index: int, bounds: tuple[int, int], due_at: int
) -> None:
    """Record that a period will close at `due_at` (nothing when it is already recorded)."""
    upsert_tuples(
        conn,
        periods,
        ("partner_id", "game_object_id", "period_index", "status", "due_at", "starts_at", "ends_at"),
        [(partner_id, game_object_id, index, PENDING, due_at, bounds[0], bounds[1])],
        keys=("partner_id", "game_object_id", "period_index"),
        set_=None,
    )


def due_closes(conn: Connection, *, now: int, limit: int, excluding: Collection[int] = ()) -> list[PeriodEnd]:
    """Pending period ends of every partner (but those of `excluding`) whose time has come, earliest first."""
    condition = (periods.c.status == PENDING) & (periods.c.due_at <= now)
    if excluding:
        condition &= periods.c.partner_id.not_in(list(excluding))
    rows = conn.execute(
        select(periods.c.partner_id, periods.c.game_object_id, periods.c.period_index, periods.c.due_at)
        .where(condition)
        .order_by(periods.c.due_at, periods.c.partner_id, periods.c.game_object_id)
        .limit(limit)
    )
    return [PeriodEnd(*row) for row in rows]


def claim_close(conn: Connection, end: PeriodEnd, *, due_by: int | None) -> bool:
    """Lock a pending period end until the transaction ends; False when it is no longer pending (closed by
    another process), not due by `due_by` (None: close it whenever), or locked by another transaction
    (``SKIP LOCKED`` on PostgreSQL; SQLite's write lock already serialises)."""
    condition = (
        (periods.c.partner_id == end.partner_id)
        & (periods.c.game_object_id == end.game_object_id)
        & (periods.c.period_index == end.period_index)
        & (periods.c.status == PENDING)
    )
    if due_by is not None:
        condition = condition & (periods.c.due_at <= due_by)
    row = conn.execute(select(periods.c.period_index).where(condition).with_for_update(skip_locked=True))
    return row.first() is not None


def pending_of(conn: Connection, partner_id: int, game_object_id: str) -> list[PeriodEnd]:
    """A leaderboard's period ends waiting to close, oldest first."""
    rows = conn.execute(
        select(periods.c.partner_id, periods.c.game_object_id, periods.c.period_index, periods.c.due_at)
        .where(
            (periods.c.partner_id == partner_id)
            & (periods.c.game_object_id == game_object_id)
            & (periods.c.status == PENDING)
        )
        .order_by(periods.c.period_index)
    )
    return [PeriodEnd(*row) for row in rows]


def mark_closed(conn: Connection, partner_id: int, game_object_id: str, period: ClosedPeriod) -> None:
    """Record a period as closed (its row was claimed)."""
    conn.execute(
        update(periods)
        .where(
            (periods.c.partner_id == partner_id)
            & (periods.c.game_object_id == game_object_id)
            & (periods.c.period_index == period.index)
        )
        .values(status=CLOSED, starts_at=period.starts_at, ends_at=period.ends_at, closed_at=period.closed_at)
    )


def closed_periods(
    conn: Connection, partner_id: int, game_object_id: str | None = None
) -> dict[str, list[ClosedPeriod]]:
    """The closed periods of a partner's leaderboards (or of one), oldest first, by game object id."""
    condition = (periods.c.partner_id == partner_id) & (periods.c.status == CLOSED)
    if game_object_id is not None:
        condition = condition & (periods.c.game_object_id == game_object_id)
    rows = conn.execute(
        select(
            periods.c.game_object_id,
            periods.c.period_index,
            periods.c.starts_at,
            periods.c.ends_at,
            periods.c.closed_at,
        )
        .where(condition)
        .order_by(periods.c.game_object_id, periods.c.period_index)
    )
    found: dict[str, list[ClosedPeriod]] = {}
    for object_id, index, starts_at, ends_at, closed_at in rows:
        found.setdefault(object_id, []).append(ClosedPeriod(index, starts_at, ends_at, closed_at))
    return found


def forget_periods(conn: Connection, partner_id: int, game_object_id: str) -> None:
    """Remove a leaderboard's period ends, closed periods and per-period scores (its recurrence changed or
    went, or the leaderboard was deleted)."""
    for table in (periods, period_scores):
        conn.execute(
            delete(table).where(
                (table.c.partner_id == partner_id) & (table.c.game_object_id == game_object_id)
            )
        )


# Per-period totals. Callers name a period's board by its key ("<game object id>#<index>", see
# domain.periods.board_key), beside the all-time board keyed by the game object id alone.


def save_period_scores(conn: Connection, partner_id: int, rows: Iterable[Sequence[Any]]) -> None:
    """Write (board key, user, score, reached_at, hidden) rows of period boards."""
    values = []
    for key, user_id, score, reached_at, hidden in rows:
        object_id, index = split_board_key(key)
        values.append((partner_id, object_id, index, user_id, score, reached_at, hidden))
    upsert_tuples(
        conn,
        period_scores,
        ("partner_id", "game_object_id", "period_index", "user_id", "score", "reached_at", "hidden"),
        values,
        keys=("partner_id", "game_object_id", "period_index", "user_id"),
        set_=lambda new: {"score": new.score, "reached_at": new.reached_at, "hidden": new.hidden},
    )


def period_score_chunks(conn: Connection, partner_id: int) -> Iterator[list[tuple[Any, ...]]]:
    """Every per-period total of the partner as (board key, user, score, reached_at, hidden) rows, ordered by
    board, in lists of up to 10,000."""
    statement = (
        select(
            period_scores.c.game_object_id,
            period_scores.c.period_index,
            period_scores.c.user_id,
            period_scores.c.score,
            period_scores.c.reached_at,
            period_scores.c.hidden,
        )
        .where(period_scores.c.partner_id == partner_id)
        .order_by(period_scores.c.game_object_id, period_scores.c.period_index)
    )
    for chunk in driver_chunks(conn, statement, _LOAD_CHUNK):
        yield [(board_key(row[0], row[1]), *row[2:]) for row in chunk]


def period_scores_of_object(conn: Connection, partner_id: int, game_object_id: str) -> list[tuple[Any, ...]]:
    """Every per-period total of one leaderboard as (board key, user, score, reached_at, hidden) rows."""
    rows = conn.execute(
        select(
            period_scores.c.period_index,
            period_scores.c.user_id,
            period_scores.c.score,
            period_scores.c.reached_at,
            period_scores.c.hidden,
        ).where(
            (period_scores.c.partner_id == partner_id) & (period_scores.c.game_object_id == game_object_id)
        )
    )
    return [(board_key(game_object_id, row[0]), *row[1:]) for row in rows]


def delete_period_scores(conn: Connection, partner_id: int, game_object_id: str, user_id: str | None) -> None:
    """Remove a leaderboard's per-period totals (only one user's, when given)."""
    condition = (period_scores.c.partner_id == partner_id) & (
        period_scores.c.game_object_id == game_object_id
    )
    if user_id is not None:
        condition = condition & (period_scores.c.user_id == user_id)
    conn.execute(delete(period_scores).where(condition))


def set_grace(conn: Connection, partner_id: int, game_object_id: str, grace_ms: int) -> None:
    """Move a leaderboard's pending period ends to their end plus a new grace."""
    conn.execute(
        update(periods)
        .where(
            (periods.c.partner_id == partner_id)
            & (periods.c.game_object_id == game_object_id)
            & (periods.c.status == PENDING)
        )
        .values(due_at=periods.c.ends_at + grace_ms)
    )


def forget_ends_starting_after(conn: Connection, partner_id: int, game_object_id: str, moment: int) -> None:
    """Drop a leaderboard's pending period ends of periods that start after `moment` (its end date moved before
    them)."""
    conn.execute(
        delete(periods).where(
            (periods.c.partner_id == partner_id)
            & (periods.c.game_object_id == game_object_id)
            & (periods.c.status == PENDING)
            & (periods.c.starts_at > moment)
        )
    )


def forget_period_end(conn: Connection, end: PeriodEnd) -> None:
    """Drop a pending period end that no longer fits its leaderboard."""
    conn.execute(
        delete(periods).where(
            (periods.c.partner_id == end.partner_id)
            & (periods.c.game_object_id == end.game_object_id)
            & (periods.c.period_index == end.period_index)
            & (periods.c.status == PENDING)
        )
    )
