"""Catching up with the event log: a partner's live state that is behind applies only the entries it lacks, in
order (`projection.apply`), instead of loading everything again.

An `events` entry runs through the same rules engine as the writer ran it, against the same state (this one
reflects every entry before it), so it reaches the same buckets and scores. The engine reads profiles from the
database, which holds the newest ones: a catch-up is refused (the caller then loads the state from the tables)
when an `events` entry names a user whose profile changes later in the gap, since the writer scored those
events with the profile as it was then. It is refused too when the gap is long enough that loading is as cheap.

A load applies the entries after the derived tables' checkpoint the same way (`apply_after_checkpoint`): those
are `events` entries only, scored with the profiles, rules and objects stored now, so no barrier applies there.
"""

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gameservices.domain.batch import ProfileLookup
from gameservices.domain.events import NormalizedEvent
from gameservices.projection import entries
from gameservices.projection.apply import Applier
from gameservices.services.profiles.profiles_lookup import DatabaseProfiles
from gameservices.storage import event_log
from gameservices.storage.database import Connection
from gameservices.storage.user_profiles import ProfileRecord

if TYPE_CHECKING:
    from gameservices.projection.state import PartnerState

_log = logging.getLogger(__name__)
# Past this many entries or events behind, loading the tables is as cheap as applying them.
MAX_ENTRIES = 5_000
MAX_EVENTS = 200_000
# Entries read at a time when applying the log after a checkpoint.
CHUNK = 5_000
# Events of consecutive entries evaluated together (by a load: LOAD_GROUP).
MAX_GROUP = 20_000
LOAD_GROUP = 100_000


class _StoredProfiles:
    """Profiles as the database holds them (the newest: see the module docstring)."""

    def __init__(self, conn: Connection, partner_id: int) -> None:
        self._conn = conn
        self._partner_id = partner_id

    def lookup(self, events: Sequence[NormalizedEvent]) -> ProfileLookup:
        return DatabaseProfiles(self._conn, self._partner_id, sorted({event.user_id for event in events}))

    def changed(self, user_id: str, record: ProfileRecord | None) -> None:
        """Already stored."""


def catch_up(conn: Connection, state: "PartnerState", partner_id: int) -> bool:
    """Apply the entries after `state.log_seq`; False (nothing applied) when they are not to be applied in memory.

    The caller holds the state's lock exclusively and reads in one snapshot (or under the partner's row lock). A
    state whose next entries retention deleted (a process that followed nobody for months) is loaded instead.
    """
    found = event_log.entries_after(conn, partner_id, state.log_seq, limit=MAX_ENTRIES + 1)
    if not found:
        # Nothing after it: the state reflects the whole log, unless retention deleted what it lacks.
        return event_log.last_seq(conn, partner_id) == state.log_seq
    if found[-1].seq - state.log_seq != len(found):  # (seqs only grow: no hole when they are as many as that)
        # Retention deleted entries it lacks (the tables reflect them: it loads them); it deletes by age, and
        # an entry may be appended a moment after a later-received one, so a hole may lie among kept entries.
        return False
    steps = _plan(found)
    if steps is None:
        return False
    try:
        _apply(conn, state, partner_id, steps)
    except Exception:  # a half-applied state is useless: forgotten, the caller loads it from the tables
        _log.exception("catching up with the event log failed; loading the state again")
        # (Forgotten here: a caller that must take the checkpoint row before it loads comes back to a state whose
        # seq did not move, and would apply the same entries again on top of their half.)
        state.invalidate()
        return False
    state.reached(found[-1].seq)
    return True


def apply_after_checkpoint(conn: Connection, state: "PartnerState", partner_id: int) -> int:
    """Apply every entry after `state.log_seq`, which is the derived tables' checkpoint the state was just loaded
    from; how many. Those are `events` entries only (every other entry moves the checkpoint to itself), so the
    profiles the engine reads are the ones their writers read. RuntimeError for any other kind.

    Their events are evaluated in groups of up to LOAD_GROUP across the chunks read, each group's ledger deltas
    kept as one (a load may apply millions of entries): the fewer the groups, the fewer times a bucket or a
    standing many entries move is copied and recorded."""
    applied = 0
    after = state.log_seq
    steps: list[tuple[int, str, bytes, list[NormalizedEvent] | None]] = []
    grouped = 0
    while True:
        found = event_log.entries_after(conn, partner_id, after, limit=CHUNK)
        for entry in found:
            if entry.seq != after + 1:  # (retention keeps every entry after the checkpoint)
                raise RuntimeError(f"entries {after + 1}-{entry.seq - 1} of partner {partner_id} are missing")
            after = entry.seq
            if entry.kind != entries.EVENTS:
                raise RuntimeError(
                    f"entry {entry.seq} ({entry.kind}) of partner {partner_id} lies after the checkpoint"
                )
            events = entries.decode_events(entry.body)
            if steps and grouped + len(events) > LOAD_GROUP:
                _apply(conn, state, partner_id, steps, together=True, group_size=LOAD_GROUP)
                state.reached(steps[-1][0])
                steps, grouped = [], 0
            steps.append((entry.seq, entry.kind, b"", events))
            grouped += len(events)
        applied += len(found)
        if len(found) < CHUNK:
            break
    if steps:
        _apply(conn, state, partner_id, steps, together=True, group_size=LOAD_GROUP)
        state.reached(steps[-1][0])
    return applied


def _apply(
    conn: Connection,
    state: "PartnerState",
    partner_id: int,
    steps: list[tuple[int, str, bytes, list[NormalizedEvent] | None]],
    *,
    together: bool = False,
    group_size: int = MAX_GROUP,
) -> None:
    applier = Applier(state, _StoredProfiles(conn, partner_id))
    # Consecutive `events` entries are evaluated together (up to MAX_GROUP events), as the writer's group commit
    # does; what they change may be missing from the derived tables: kept for their checkpoint.
    group: list[NormalizedEvent] = []
    bounds: list[tuple[int, int]] = []

    def apply_group() -> None:
        if bounds:
            applier.apply_events(group[:], entries=bounds[:], together=together)
            group.clear()
            bounds.clear()

    for seq, kind, body, events in steps:
        if events is None:
            apply_group()
            applier.apply(kind, body)
            continue
        if len(group) + len(events) > group_size:
            apply_group()
        bounds.append((seq, len(group)))
        group.extend(events)
    apply_group()
    applier.finish()


def _plan(
    found: list[event_log.LogEntry],
) -> list[tuple[int, str, bytes, list[NormalizedEvent] | None]] | None:
    """The entries with their events decoded; None when they are not to be applied in memory."""
    if len(found) > MAX_ENTRIES:
        return None
    steps: list[tuple[int, str, bytes, list[NormalizedEvent] | None]] = []
    # Every text the events so far name: their users and any userIdOverride target (which credits an integer
    # value as its text, too).
    named: set[str] = set()
    total = 0
    for entry in found:
        if entry.kind == entries.EVENTS:
            events = entries.decode_events(entry.body)
            total += len(events)
            if total > MAX_EVENTS:
                return None
            for event in events:
                named.update(
                    str(value)
                    for value in event.fields.values()
                    if isinstance(value, str | int) and not isinstance(value, bool)
                )
            steps.append((entry.seq, entry.kind, entry.body, events))
            continue
        if entry.kind == entries.PERIOD_CLOSE:  # its leaderboardPeriodEnd events name their users
            named.update(fields["userId"] for _, fields in event_log.decode_body(entry.body)["events"])
        if entry.kind == entries.PROFILE_CHANGE and any(
            user_id in named for user_id, _ in event_log.decode_body(entry.body)["profiles"]
        ):
            return None  # those events were scored with the profile as it was before this change
        steps.append((entry.seq, entry.kind, entry.body, None))
    return steps
