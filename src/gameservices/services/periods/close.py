"""Closing a period of a recurring leaderboard (docs/periods.md): once, by the scheduler at its end plus the
grace, or now by `leaderboard/closePeriod`.

A close claims the period end's row (so however many processes look, one closes it), takes the partner's
writer turn and row lock, ranks the period's board, and runs one `leaderboardPeriodEnd` event per ranked user
through the rules engine, so that rewards are ordinary badge, certificate or leaderboard rules. All of it is
one log entry (`leaderboard.periodClose`, carrying the period and those events), which every process and every
replay applies through `projection.apply`; the tables are written in the same transaction. The next period's
end is then scheduled.
"""

import logging
from dataclasses import dataclass
from typing import Any

from gameservices.domain.events import NormalizedEvent, normalize_events
from gameservices.domain.periods import RECURRENCE_FIELD, ClosedPeriod, Timeline, board_key
from gameservices.domain.timefmt import format_ms
from gameservices.domain.values import shown_number
from gameservices.errors import Conflict, ObjectNotFound, ValidationFailed
from gameservices.feed.changes import PERIOD_CLOSED, Changes
from gameservices.projection import checkpoint
from gameservices.projection.board import Board
from gameservices.projection.entries import PERIOD_CLOSE
from gameservices.projection.live import LiveState
from gameservices.projection.loading import refresh
from gameservices.projection.state import PartnerState
from gameservices.services.periods import recurrence as periods
from gameservices.services.profiles.profiles_lookup import DatabaseProfiles
from gameservices.services.scoring import event as event_service
from gameservices.storage import event_log
from gameservices.storage import game_objects as object_repository
from gameservices.storage import partners as partner_repository
from gameservices.storage import periods as period_repository
from gameservices.storage.database import Connection, Engine, read_transaction, write_transaction
from gameservices.storage.periods import PeriodEnd

EVENT_TYPE = "leaderboardPeriodEnd"
TOP = 10
# closePeriod closes at most this many overdue periods before the current one (a scheduler long stopped).
MAX_OVERDUE = 1_000
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Closed:
    """A period as it closed, with its first ranks."""

    game_object_id: str
    period: ClosedPeriod
    top: list[dict[str, Any]]

    def view(self) -> dict[str, Any]:
        """The API form (`leaderboard/closePeriod`)."""
        return {
            "objectType": "LeaderboardPeriod",
            "gameObjectId": self.game_object_id,
            "index": self.period.index,
            "startsAt": format_ms(self.period.starts_at),
            "endsAt": format_ms(self.period.ends_at),
            "closedAt": format_ms(self.period.closed_at),
            "top": self.top,
        }


def close_due(engine: Engine, live: LiveState, *, now: int, limit: int) -> int:
    """Close the period ends due by `now` (at most `limit`), a partner's together in one transaction (one log
    entry for those ending at one instant); how many were due, those of partners whose close failed left out.

    A partner whose close fails (rolled back whole; tried again at the next look) must not hold up the others':
    its ends stay pending and earliest, so the rest of this look fetches the due ends of the other partners."""
    failed: set[int] = set()
    done = 0
    # (Each round after the first follows a failure: as many rounds at most as partners failing, plus one.)
    while done < limit:
        with read_transaction(engine) as conn:
            due = period_repository.due_closes(conn, now=now, limit=limit - done, excluding=failed)
        if not due:
            break
        by_partner: dict[int, list[PeriodEnd]] = {}
        for end in due:
            by_partner.setdefault(end.partner_id, []).append(end)
        failing = len(failed)
        for partner_id, ends in by_partner.items():
            try:
                close_scheduled(engine, live, partner_id, ends, now=now)
            except Exception:
                _log.exception("closing periods of partner %s failed; the next look tries again", partner_id)
                failed.add(partner_id)
                continue
            done += len(ends)
        if len(failed) == failing:
            break  # (fetched again only to get past partners that failed)
    return done


def close_scheduled(
    engine: Engine, live: LiveState, partner_id: int, ends: list[PeriodEnd], *, now: int
) -> list[Closed]:
    """Close a partner's due period ends, each at its own end; those that were not this call's to close (closed
    by another process meanwhile, or no longer fitting their leaderboard) are left out."""
    with live.writing(partner_id) as state, write_transaction(engine) as conn:
        _lock(conn, state, partner_id)
        claimed = [end for end in ends if period_repository.claim_close(conn, end, due_by=now)]
        if not claimed:
            return []
        closing = []
        for end in claimed:
            timeline = _fitting(conn, state, end)
            if timeline is not None:
                closing.append((end, timeline, timeline.bounds(end.period_index)[1]))
        return _close_in_order(conn, state, partner_id, closing, now)


def _close_in_order(
    conn: Connection,
    state: PartnerState,
    partner_id: int,
    closing: list[tuple[PeriodEnd, Timeline, int]],
    now: int,
) -> list[Closed]:
    """Close periods in the order of their ends, those ending at one instant together (one log entry for each
    instant). A period's leaderboardPeriodEnd events count in another leaderboard's period still open at that
    instant, which ranks with what they gave when it closes later in the same transaction: before each later
    instant, the state takes in the entries this transaction appended (`loading.refresh`, which then holds it
    until the transaction ends)."""
    closed: list[Closed] = []
    for ends_at in sorted({item[2] for item in closing}):
        if closed:
            refresh(conn, state, partner_id, partner_repository.lock_versions(conn, partner_id))
        closed += _close(conn, state, partner_id, [item for item in closing if item[2] == ends_at], now)
    return closed


def close_now(engine: Engine, live: LiveState, *, partner_id: int, game_object_id: str, now: int) -> Closed:
    """`leaderboard/closePeriod`: close the current period now (periods already ended but not closed yet
    close first, at their own ends, each in its own transaction). A leaderboard that ended in the last of
    those has no current period: the answer is that one."""
    closed: Closed | None = None
    for _ in range(MAX_OVERDUE + 1):
        with live.writing(partner_id) as state, write_transaction(engine) as conn:
            _lock(conn, state, partner_id)
            pending = period_repository.pending_of(conn, partner_id, game_object_id)
            if not pending:
                if closed is not None:
                    return closed
                _no_period_to_close(conn, partner_id, game_object_id)
            end = pending[0]
            if not period_repository.claim_close(conn, end, due_by=None):
                raise Conflict("the period is closing right now; try again")
            timeline = _fitting(conn, state, end)
            if timeline is None:
                raise Conflict("the leaderboard's periods changed; try again")
            natural_end = timeline.bounds(end.period_index)[1]
            closed = _close(conn, state, partner_id, [(end, timeline, min(natural_end, now))], now)[0]
            if natural_end > now:
                return closed
    raise Conflict("too many periods are waiting to close; try again")


def _no_period_to_close(conn: Connection, partner_id: int, game_object_id: str) -> None:
    record = object_repository.get_game_object(conn, partner_id=partner_id, object_id=game_object_id)
    if record is None or record.object_type != "leaderboard":
        raise ObjectNotFound(game_object_id, "Leaderboard")
    if RECURRENCE_FIELD not in record.data:
        raise ValidationFailed("id", "the leaderboard has no recurrence")
    raise ValidationFailed("id", "the leaderboard has no period left to close (its end date has passed)")


def _lock(conn: Connection, state: PartnerState, partner_id: int) -> None:
    # Before the period ends' rows: the partner row first, as every write takes it (a leaderboard's update then
    # moves its pending period ends). The state is then brought up to date, and the derived tables up to it.
    checkpoint.prepare_write(conn, state, partner_id)


def _fitting(conn: Connection, state: PartnerState, end: PeriodEnd) -> Timeline | None:
    """The timeline of a claimed period end's leaderboard, or None (the row dropped) when the end no longer
    fits it."""
    timeline = state.timeline(end.game_object_id)
    if timeline is None or timeline.next_to_close() != end.period_index:
        _log.warning("dropping period end %s of %s: it no longer fits", end.period_index, end.game_object_id)
        period_repository.forget_period_end(conn, end)
        return None
    return timeline


def _close(
    conn: Connection,
    state: PartnerState,
    partner_id: int,
    closing: list[tuple[PeriodEnd, Timeline, int]],
    now: int,
) -> list[Closed]:
    """Close periods (their end, timeline and the instant each ends): one log entry for them all."""
    changes = Changes()
    closed: list[Closed] = []
    raw: list[dict[str, Any]] = []
    after: dict[str, Timeline] = {}
    for end, timeline, ends_at in closing:
        object_id, index = end.game_object_id, end.period_index
        # (Period 0 closed before an anchor still to come ends before the anchor it shows as its start.)
        period = ClosedPeriod(index, min(timeline.bounds(index)[0], ends_at), ends_at, now)
        ranked = _ranked_events(state, object_id, index, ends_at)
        top = [
            {"rank": item["rank"], "userId": item["userId"], "score": item["score"]} for item in ranked[:TOP]
        ]
        closed.append(Closed(object_id, period, top))
        changes.add(PERIOD_CLOSED, period_closed_data(closed[-1]))
        raw += ranked
        after[object_id] = timeline.with_closed(period)
    events = normalize_events(raw, received_at=now / 1000).events
    if events:
        _score(conn, state, partner_id, events, after, now, changes)
    for item in closed:
        period_repository.mark_closed(conn, partner_id, item.game_object_id, item.period)
    body = {
        "periods": [
            {
                "gameObjectId": item.game_object_id,
                "periodIndex": item.period.index,
                "startsAt": item.period.starts_at,
                "endsAt": item.period.ends_at,
                "closedAt": item.period.closed_at,
            }
            for item in closed
        ],
        "events": [[event.event_id, event.fields] for event in events],
    }
    encoded = event_log.encode_body(body)
    event_log.append(conn, partner_id, PERIOD_CLOSE, encoded, now_ms=now, changes=changes.encoded())
    for item in closed:
        record = state.objects[item.game_object_id]
        periods.schedule(conn, record, after[item.game_object_id], item.period.index + 1)
    return closed


def _ranked_events(state: PartnerState, object_id: str, index: int, ends_at: int) -> list[dict[str, Any]]:
    """One leaderboardPeriodEnd event per ranked user of a period, in rank order, at the period's end."""
    board = state.boards.get(board_key(object_id, index)) or Board()
    return [
        {
            "eventType": EVENT_TYPE,
            "userId": entry.user_id,
            "gameObjectId": object_id,
            "periodIndex": index,
            "rank": entry.rank,
            "score": shown_number(entry.score),
            "eventTime": ends_at / 1000,
        }
        for entry in board.index.page(0, len(board.index))
    ]


def period_closed_data(closed: Closed) -> dict[str, Any]:
    """The data of the `leaderboard.periodClosed` change of a close (DESIGN.md section 9)."""
    return {"gameObjectId": closed.game_object_id, "periodIndex": closed.period.index, "top": closed.top}


def _score(
    conn: Connection,
    state: PartnerState,
    partner_id: int,
    events: list[NormalizedEvent],
    timelines: dict[str, Timeline],
    now: int,
    changes: Changes,
) -> None:
    # As `event/send` scores events, with the closed period already closed for the standings they move.
    profiles = DatabaseProfiles(conn, partner_id, sorted({event.user_id for event in events}))
    evaluation, standings = event_service.evaluate_whole(conn, state, partner_id, events, profiles, timelines)
    event_service.write_scored(conn, state, partner_id, events, evaluation, standings, now / 1000, changes)
