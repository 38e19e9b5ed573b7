"""A partner's activity as the console's dashboard and events screen show it: events per second, users scored,
and the newest events received, all read from the event log (so every server process sees the same figures).

Each read looks at the log's newest entries only (a seq range on its primary key), however long the log is:
- events per second: the events of the entries appended in the last 60 s, among the newest 1,000 entries; when
  all 1,000 are that recent, the rate is taken over the time they span instead of the full minute;
- the events tail: the events of the newest 50 `events` entries among the newest 10,000 entries;
- recent changes (the change feed, `gameservices.feed`): the newest 20 changes, looked for in the newest 16
  entries, then 256, then 4,096, until 20 are found; at most 20,000 changes are read (an import that changed more
  in one entry shows the first of them).
"""

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gameservices import feed
from gameservices.domain.timefmt import format_ms
from gameservices.projection.entries import EVENTS
from gameservices.projection.live import LiveState
from gameservices.services.catalog.leaderboard import LEADERBOARD
from gameservices.storage import event_log, event_tail
from gameservices.storage.database import Connection

RATE_WINDOW_MS = 60_000
MAX_RATE_ENTRIES = 1_000
TAIL_EVENTS = 50
MAX_TAIL_SCAN = 10_000
MAX_DETAILS = 160
RECENT_CHANGES = 20
RECENT_WINDOWS = (16, 256, 4_096)
MAX_CHANGES_SCANNED = 20_000
_CHANGES_PAGE = 500
# Shown in their own columns of the tail; every other field goes into its details.
_SHOWN = frozenset({"eventType", "userId", "kuserId", "eventTime", "entryId", "eventId"})


@dataclass(frozen=True)
class EventRate:
    """How many events were received over how many seconds."""

    events: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Events per second over the span."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class TailEvent:
    """One received event as the tail lists it."""

    seq: int
    received_at: str
    event_id: str | None
    event_type: str
    user_id: str
    entry_id: str
    event_time: str
    details: str


def event_rate(conn: Connection, partner_id: int, *, now_ms: int) -> EventRate:
    """Events per second received lately (see the module's description)."""
    last = event_log.last_seq(conn, partner_id)
    entries = event_tail.appended_since(
        conn,
        partner_id,
        after_seq=last - MAX_RATE_ENTRIES,
        since_ms=now_ms - RATE_WINDOW_MS,
        body_of=EVENTS,
    )
    events = sum(len(event_log.decode_body(entry.body)) for entry in entries if entry.body is not None)
    span_ms = RATE_WINDOW_MS
    if len(entries) >= MAX_RATE_ENTRIES:
        span_ms = min(RATE_WINDOW_MS, max(1_000, now_ms - entries[-1].created_at))
    return EventRate(events, span_ms / 1000)


def recent_events(conn: Connection, partner_id: int, *, limit: int = TAIL_EVENTS) -> list[TailEvent]:
    """The newest events received, newest first (within an entry, the last sent first)."""
    last = event_log.last_seq(conn, partner_id)
    entries = event_tail.newest_of_kind(conn, partner_id, EVENTS, after_seq=last - MAX_TAIL_SCAN, limit=limit)
    return list(_tail(entries, limit))


def _tail(entries: list[event_tail.TimedEntry], limit: int) -> Iterator[TailEvent]:
    count = 0
    for entry in entries:
        pairs: list[list[Any]] = event_log.decode_body(entry.body or b"[]")
        for event_id, fields in reversed(pairs):
            yield _shown(entry, event_id, fields)
            count += 1
            if count >= limit:
                return


def _shown(entry: event_tail.TimedEntry, event_id: str | None, fields: dict[str, Any]) -> TailEvent:
    details = ", ".join(f"{name}={value}" for name, value in fields.items() if name not in _SHOWN)
    if len(details) > MAX_DETAILS:
        details = details[: MAX_DETAILS - 1] + "…"
    event_time = fields.get("eventTime")
    return TailEvent(
        seq=entry.seq,
        received_at=format_ms(entry.created_at),
        event_id=event_id,
        event_type=str(fields.get("eventType", "")),
        user_id=str(fields.get("userId", "")),
        entry_id=str(fields.get("entryId") or ""),
        event_time=format_ms(round(event_time * 1000)) if isinstance(event_time, int | float) else "",
        details=details,
    )


def scored_users(conn: Connection, *, live: LiveState, partner_id: int) -> int:
    """How many distinct users hold a score on any of the partner's leaderboards (hidden users included)."""
    with live.reading(conn, partner_id) as state:
        boards = [
            board
            for object_id, board in state.boards.items()
            if (record := state.objects.get(object_id)) is not None
            and record.object_type == LEADERBOARD.object_type
        ]
        if len(boards) == 1:
            return len(boards[0].index) + len(boards[0].hidden)
        users: set[str] = set()
        for board in boards:
            users.update(board.index.ranked_columns()[0])
            users.update(board.hidden)
        return len(users)


def recent_changes(conn: Connection, partner_id: int, *, limit: int = RECENT_CHANGES) -> list[feed.Change]:
    """The newest committed changes of the feed, newest first (see the module's description)."""
    last: feed.Position = feed.head(conn, partner_id)
    newest: deque[feed.Change] = deque(maxlen=limit)
    for window in RECENT_WINDOWS:
        newest.clear()
        start = max(0, last[0] - window)
        position: feed.Position = (start, feed.END)
        scanned = 0
        while position < last and scanned < MAX_CHANGES_SCANNED:
            page = feed.scan(conn, partner_id, after=position, limit=_CHANGES_PAGE, entries=window)
            newest.extend(page.changes)
            scanned += len(page.changes)
            if page.position <= position:
                break
            position = page.position
        if len(newest) >= limit or start == 0:
            break
    return list(reversed(newest))


def object_names(conn: Connection, *, live: LiveState, partner_id: int, ids: Iterable[str]) -> dict[str, str]:
    """The names of the partner's game objects among `ids` (deleted ones are left out)."""
    with live.reading(conn, partner_id) as state:
        return {object_id: state.objects[object_id].name for object_id in ids if object_id in state.objects}
