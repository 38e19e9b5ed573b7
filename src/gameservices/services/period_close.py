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

from gameservices.domain.engine import evaluate
from gameservices.domain.events import NormalizedEvent, normalize_events
from gameservices.domain.periods import RECURRENCE_FIELD, ClosedPeriod, Timeline, board_key
from gameservices.domain.values import shown_number
from gameservices.errors import Conflict, ObjectNotFound, ValidationFailed
from gameservices.feed.changes import PERIOD_CLOSED, Changes
from gameservices.projection.board import Board
from gameservices.projection.entries import PERIOD_CLOSE
from gameservices.services import event as event_service
from gameservices.services import periods
from gameservices.services.live import LiveState, PartnerState, refresh
from gameservices.services.profiles_lookup import DatabaseProfiles
from gameservices.storage import engine_state as state_repository
from gameservices.storage import event_log
from gameservices.storage import game_objects as object_repository
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
        from gameservices.domain.timefmt import format_ms

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
    """Close the period ends due by `now` (at most `limit`), each in its own transaction; how many were due."""
    with read_transaction(engine) as conn:
        due = period_repository.due_closes(conn, now=now, limit=limit)
    for end in due:
        close_scheduled(engine, live, end, now=now)
    return len(due)


def close_scheduled(engine: Engine, live: LiveState, end: PeriodEnd, *, now: int) -> Closed | None:
    """Close a due period end at its own end; None when it was not this call's to close."""
    with live.writing(end.partner_id) as state, write_transaction(engine) as conn:
        if not period_repository.claim_close(conn, end, due_by=now):
            return None
        timeline = _locked(conn, state, end)
        if timeline is None:
            return None
        return _close(conn, state, end, timeline, timeline.bounds(end.period_index)[1], now)


def close_now(engine: Engine, live: LiveState, *, partner_id: int, game_object_id: str, now: int) -> Closed:
    """`leaderboard/closePeriod`: close the current period now (periods already ended but not closed yet
    close first, at their own ends, each in its own transaction)."""
    for _ in range(MAX_OVERDUE + 1):
        with live.writing(partner_id) as state, write_transaction(engine) as conn:
            pending = period_repository.pending_of(conn, partner_id, game_object_id)
            if not pending:
                _no_period_to_close(conn, partner_id, game_object_id)
            end = pending[0]
            if not period_repository.claim_close(conn, end, due_by=None):
                raise Conflict("the period is closing right now; try again")
            timeline = _locked(conn, state, end)
            if timeline is None:
                raise Conflict("the leaderboard's periods changed; try again")
            natural_end = timeline.bounds(end.period_index)[1]
            closed = _close(conn, state, end, timeline, min(natural_end, now), now)
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


def _locked(conn: Connection, state: PartnerState, end: PeriodEnd) -> Timeline | None:
    """Lock the partner (after the period end's row: the order every close takes) and bring the state up to
    date; the timeline, or None (the row dropped) when the period end no longer fits the leaderboard."""
    refresh(conn, state, end.partner_id, state_repository.lock_versions(conn, end.partner_id))
    timeline = state.timeline(end.game_object_id)
    if timeline is None or timeline.next_to_close() != end.period_index:
        _log.warning("dropping period end %s of %s: it no longer fits", end.period_index, end.game_object_id)
        period_repository.forget_period_end(conn, end)
        return None
    return timeline


def _close(
    conn: Connection, state: PartnerState, end: PeriodEnd, timeline: Timeline, ends_at: int, now: int
) -> Closed:
    object_id, index = end.game_object_id, end.period_index
    period = ClosedPeriod(index, timeline.bounds(index)[0], ends_at, now)
    board = state.boards.get(board_key(object_id, index)) or Board()
    ranked = board.index.page(0, len(board.index))
    raw = [
        {
            "eventType": EVENT_TYPE,
            "userId": entry.user_id,
            "gameObjectId": object_id,
            "periodIndex": index,
            "rank": entry.rank,
            "score": shown_number(entry.score),
            "eventTime": ends_at / 1000,
        }
        for entry in ranked
    ]
    events = normalize_events(raw, received_at=now / 1000).events
    after = timeline.with_closed(period)
    top = [{"rank": item["rank"], "userId": item["userId"], "score": item["score"]} for item in raw[:TOP]]
    closed = Closed(object_id, period, top)
    changes = Changes()
    changes.add(PERIOD_CLOSED, period_closed_data(closed))
    if events:
        _score(conn, state, end.partner_id, events, {object_id: after}, now, changes)
    period_repository.mark_closed(conn, end.partner_id, object_id, period)
    body = {
        "gameObjectId": object_id,
        "periodIndex": index,
        "startsAt": period.starts_at,
        "endsAt": period.ends_at,
        "closedAt": period.closed_at,
        "events": [[event.event_id, event.fields] for event in events],
    }
    encoded = event_log.encode_body(body)
    event_log.append(conn, end.partner_id, PERIOD_CLOSE, encoded, now_ms=now, changes=changes.encoded())
    periods.schedule(conn, state.objects[object_id], after, index + 1)
    return closed


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
    assert state.rule_set is not None
    evaluation = evaluate(
        events,
        rule_set=state.rule_set,
        buckets=state,
        profiles=DatabaseProfiles(conn, partner_id, sorted({event.user_id for event in events})),
        entry_durations=state.kept_durations(events),
    )
    standings = state.standings_after(evaluation.awards, timelines)
    event_service.write_scored(conn, state, partner_id, events, evaluation, standings, now / 1000, changes)
