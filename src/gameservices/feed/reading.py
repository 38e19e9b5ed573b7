"""Reading a partner's committed changes in order, from any position within the log's retention."""

from dataclasses import dataclass

from gameservices.feed.changes import END, Change, Position, decode
from gameservices.storage import event_log
from gameservices.storage.database import Connection, Engine, read_transaction

# Entries looked at per read: a filtered reader far behind advances this far per call, however few match.
ENTRIES_PER_READ = 2_000


@dataclass(frozen=True, slots=True)
class Page:
    """Changes after a position, and the position the reader has now looked through."""

    changes: list[Change]
    position: Position


def head(conn: Connection, partner_id: int) -> Position:
    """The position after the partner's newest change: where a reader wanting only new changes starts."""
    return (event_log.last_seq(conn, partner_id), END)


def head_of(engine: Engine, partner_id: int) -> Position:
    """`head`, in a transaction of its own."""
    with read_transaction(engine) as conn:
        return head(conn, partner_id)


def scan(
    conn: Connection,
    partner_id: int,
    *,
    after: Position | None,
    limit: int,
    types: frozenset[str] | None = None,
    game_object_id: str | None = None,
    entries: int = ENTRIES_PER_READ,
    through: int | None = None,
) -> Page:
    """Up to `limit` changes strictly after `after` (None: from the oldest retained entry) that match the
    filters, looking at no more than `entries` entries (and none after entry `through`, when given)."""
    seq, index = after if after is not None else (0, END)
    found: list[Change] = []
    position: Position = (seq, index)
    if index != END:  # the rest of a partly read entry first
        rows, _ = event_log.changes_after(conn, partner_id, seq - 1, entries=1)
        rows = [row for row in rows if row.seq == seq]
        for row in rows:
            for change in decode(row.seq, row.created_at, row.changes)[index + 1 :]:
                if len(found) == limit:
                    return Page(found, position)
                position = change.position
                if _matches(change, types, game_object_id):
                    found.append(change)
        position = (seq, END)
    rows, last = event_log.changes_after(conn, partner_id, seq, entries=entries, through=through)
    for row in rows:
        for change in decode(row.seq, row.created_at, row.changes):
            if len(found) == limit:
                return Page(found, position)
            position = change.position
            if _matches(change, types, game_object_id):
                found.append(change)
        position = (row.seq, END)
    return Page(found, (last, END) if last > position[0] else position)


def read(
    conn: Connection,
    partner_id: int,
    *,
    after: Position | None,
    limit: int,
    types: frozenset[str] | None = None,
    game_object_id: str | None = None,
) -> list[Change]:
    """Up to `limit` matching changes strictly after `after`, oldest first (see `scan`)."""
    return scan(
        conn, partner_id, after=after, limit=limit, types=types, game_object_id=game_object_id
    ).changes


def _matches(change: Change, types: frozenset[str] | None, game_object_id: str | None) -> bool:
    if types is not None and change.type not in types:
        return False
    return game_object_id is None or change.game_object_id == game_object_id
