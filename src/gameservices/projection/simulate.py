"""Replaying one game object over a partner's retained log in a private projection: the what-if of candidate
rules (`rule/simulate`), the recomputation of an object under its current rules (`*/rebuild`) and the awards
behind a user's score (`userScore/explain`).

Every entry goes through the same `Applier` and rules engine as the live path and `db replay`; the private
state holds only the rules of the object replayed (its other rules would change nothing of its buckets or
standings, and leaving them out makes a replay cheaper). The object's rules are either pinned (a candidate
set, in force from the first entry: rule changes of the object in the log are ignored) or followed as logged.
Nothing is written: a replay reads the log and builds a state nobody else sees.
"""

from dataclasses import dataclass

from gameservices.domain.awards import Evaluation
from gameservices.domain.engine import collector_paused
from gameservices.domain.events import NormalizedEvent
from gameservices.projection import entries
from gameservices.projection.apply import Applier
from gameservices.projection.replay import READ_CHUNK, ReplayedProfiles
from gameservices.projection.state import PartnerState
from gameservices.storage import event_log
from gameservices.storage.database import Connection
from gameservices.storage.rules import RuleRecord

# A replay is synchronous and bounded: past this many events (or entries) it stops and the call is refused.
MAX_EVENTS = 2_000_000
MAX_ENTRIES = 2_000_000
_RULE_KINDS = frozenset({entries.RULE_CHANGE, entries.GAME_OBJECT_CHANGE, entries.GAME_OBJECT_DELETE})
_OBJECT_KINDS = frozenset(
    {entries.SCORES_CLEARED, entries.SCORE_DELETED, entries.SCORE_SET, entries.GAME_OBJECT_REBUILD}
)


class TooLarge(Exception):
    """The retained log holds more than a replay may go through."""


@dataclass(frozen=True, slots=True)
class Window:
    """Which events count, by eventTime (epoch seconds, bounds included; None: unbounded)."""

    start: float | None = None
    end: float | None = None

    @property
    def everything(self) -> bool:
        """Whether every event counts."""
        return self.start is None and self.end is None

    def admits(self, event: NormalizedEvent) -> bool:
        """Whether an event's time lies in the window."""
        at = event.event_time
        return (self.start is None or at >= self.start) and (self.end is None or at <= self.end)


class ObjectReplay:
    """One replay of a game object; subclasses hear of awards, clears and rebuilds of the object."""

    def __init__(
        self,
        object_id: str,
        *,
        rules: dict[str, RuleRecord] | None = None,
        window: Window = Window(),
        until: int | None = None,
        max_events: int | None = None,
    ) -> None:
        self.object_id = object_id
        self.pinned = rules  # None: the object's rules as the log changes them
        self.window = window
        self.until = until  # replay only the entries before this seq
        self.max_events = MAX_EVENTS if max_events is None else max_events
        self.state = PartnerState()
        self.state.make_private()
        self.state.set_rules(rules or {})
        self.events = 0
        self.complete = True  # whether the retained log holds every entry from the first
        self._applier = Applier(self.state, ReplayedProfiles())
        self._applier.positional_sub_rules = rules is None
        self._applier.observe = self.awarded

    def run(self, conn: Connection, partner_id: int) -> PartnerState:
        """Replay the partner's retained log; raise TooLarge past the bounds."""
        if event_log.count_entries(conn, partner_id) > MAX_ENTRIES:
            raise TooLarge(f"the log holds more than {MAX_ENTRIES} entries")
        # A replay allocates millions of long-lived objects and no cycles: collector passes over them are waste.
        with collector_paused():
            newest = event_log.last_seq(conn, partner_id)  # (read first, as `replay` does)
            seq = 0
            while found := event_log.entries_after(conn, partner_id, seq, limit=READ_CHUNK):
                for entry in found:
                    if self.until is not None and entry.seq >= self.until:
                        return self._finish()
                    if entry.seq != seq + 1:
                        # Retention deleted the start, or an entry among kept ones (it deletes by the time a
                        # call was received, and a call received earlier may commit later).
                        self.complete = False
                    self._entry(entry)
                    seq = entry.seq
            if seq < newest:
                self.complete = False  # (the newest entries, or every entry, deleted)
            return self._finish()

    def _count(self, events: int) -> None:
        self.events += events
        if self.events > self.max_events:
            raise TooLarge(f"a replay goes through at most {self.max_events} events")

    def _finish(self) -> PartnerState:
        self._applier.finish()
        return self.state

    def _entry(self, entry: event_log.LogEntry) -> None:
        if entry.kind == entries.EVENTS:
            events = entries.decode_events(entry.body)
            if self.window.everything:
                self._count(len(events))
                self.apply_events(events)
                return
            # Only the events the window admits are scored; the others still tell their entries' durations (a
            # cap of a later admitted event reads them), in the order the writer read them.
            admitted: list[NormalizedEvent] = []
            for event in events:
                if self.window.admits(event):
                    admitted.append(event)
                    continue
                if admitted:
                    self._count(len(admitted))
                    self.apply_events(admitted)
                    admitted = []
                self.state.note_durations([event])
            if admitted:
                self._count(len(admitted))
                self.apply_events(admitted)
            return
        if entry.kind == entries.PERIOD_CLOSE:
            # Its leaderboardPeriodEnd events are replayed events as any other: only those the window admits,
            # counted and bounded alike (the periods close all the same).
            closed = event_log.decode_body(entry.body)
            rows = closed["events"]
            if not self.window.everything:
                admits = [self.window.admits(event) for event in entries.events_of(rows)]
                rows = closed["events"] = [row for row, admit in zip(rows, admits, strict=True) if admit]
            self._count(len(rows))
            self._applier.apply_details(entry.kind, closed)
            return
        details = None
        if entry.kind in _OBJECT_KINDS:
            details = event_log.decode_body(entry.body)
            if details["gameObjectId"] != self.object_id:
                if entry.kind == entries.GAME_OBJECT_REBUILD:
                    return  # another object's buckets and standings: nothing this replay holds
                details = None
            elif entry.kind == entries.GAME_OBJECT_REBUILD and self.pinned is not None:
                return  # recomputed under other rules than the pinned ones: this replay recomputes it
        if details is not None and entry.kind == entries.SCORE_SET:
            known = self.state.board(self.object_id).standing(details["userId"])
            delta = details["score"] - (known.score if known else 0.0)
            self.set_by_hand(details["userId"], delta, details["at"])
            details = None
        self._applier.apply(entry.kind, entry.body)
        if entry.kind in _RULE_KINDS:
            self._restrict()
        if details is not None:
            if entry.kind == entries.GAME_OBJECT_REBUILD:
                self.rebuilt(entry.seq)
            else:
                self.cleared(details.get("userId"))

    def _restrict(self) -> None:
        if self.pinned is not None:
            self.state.set_rules(self.pinned)
        else:
            self.state.set_rules(
                {
                    rule_id: rule
                    for rule_id, rule in self.state.rules.items()
                    if rule.game_object_id == self.object_id
                }
            )

    def apply_events(self, events: list[NormalizedEvent]) -> None:
        """Run an events entry's events (as far as the window admits them) through the rules engine; a subclass
        may run them in parts, in order (the state ends the same)."""
        self._applier.apply_events(events)

    def awarded(self, events: list[NormalizedEvent], evaluation: Evaluation) -> None:
        """An events entry was applied (its events, as far as the window admits them, and their evaluation)."""

    def cleared(self, user_id: str | None) -> None:
        """The object's scores were cleared (one user's, when given)."""

    def set_by_hand(self, user_id: str, delta: float, at: float) -> None:
        """The user's score on the object was set by hand (API v3 `update`) at `at`, moving it by `delta`."""

    def rebuilt(self, seq: int) -> None:
        """A rebuild of the object (entry `seq`) replaced its buckets and standings."""
