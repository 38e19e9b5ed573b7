"""API v3 ``analytics.trackEvent``: the Kaltura player's beacons scored by the rules engine.

A beacon is identified first (its partner, and its viewer from a USER KS of that partner or from ``userId``),
then written with the partner's other waiting beacons in one transaction: each becomes at most one rule event
(``domain/beacons.py``) that goes through ``services/event.send_calls``, the path of ``event/send``, so
duplicates, refusals, the ledger and the ranks behave exactly as for events sent there. The last playTimeSum of
each viewing session is kept in ``player_sessions``, written in the same transaction as the events.
"""

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gameservices.auth.ks import KS_TYPE_USER, KsInvalid
from gameservices.domain.beacons import VIEW, Beacon, play_time, rule_event
from gameservices.domain.errors import EventRejected
from gameservices.domain.events import normalize_event
from gameservices.domain.ids import has_control_characters
from gameservices.projection.group_commit import GroupCommit
from gameservices.projection.live import LiveState
from gameservices.projection.state import PartnerState
from gameservices.services.access.session import count_apart, forget, not_counted, verified_session
from gameservices.services.scoring import event as event_service
from gameservices.storage import entries as entry_repository
from gameservices.storage import partners as partner_repository
from gameservices.storage import player_sessions as session_repository
from gameservices.storage import processed_events as processed_repository
from gameservices.storage.database import Connection, Engine, write_transaction
from gameservices.storage.player_sessions import LastView, SessionKey
from gameservices.storage.sessions import ks_hash

# A viewing session no VIEW has reported for this long has been reset by the player long ago (it resets after
# 30 s without one): forgetting it changes nothing.
IDLE_SESSION_SECONDS = 3600.0
# How long what is known of a partner (it exists, is enabled, has game services) serves its beacons without a KS
# before it is read again: a partner disabled stops scoring them within this time.
PARTNER_FACTS_SECONDS = 10.0
# Partners whose facts are kept at most (only partners that exist are kept).
MAX_PARTNER_FACTS = 10_000


@dataclass(frozen=True, slots=True)
class Viewed:
    """A beacon with its viewer, as received."""

    beacon: Beacon
    user_id: str
    received_at: float


def identify(
    engine: Engine, beacon: Beacon, *, client_ip: str, uri: str, require_ks: bool = False
) -> str | None:
    """The beacon's viewer; None when it is not to be scored (unknown or disabled partner, a KS that is not a
    valid USER KS of that partner, or no user at all; with `require_ks`, a viewer no KS names).

    One prepared read, as API requests authenticate (``storage.partners.auth_snapshot``): the partner, its
    secrets and whether the KS was ended."""
    snapshot = partner_repository.auth_snapshot(
        engine, partner_id=beacon.partner_id, ks_hash=ks_hash(beacon.ks or "")
    )
    if snapshot is None or not snapshot.partner.enabled or not snapshot.partner.game_services_enabled:
        return None
    if beacon.ks is None:
        return None if require_ks else beacon.user_id
    if snapshot.revoked:
        # Ended by session.end: no longer taken as signed by its partner (as the API forgets it).
        forget(beacon.ks)
        return None
    try:
        session = verified_session(
            beacon.ks, snapshot.partner.secrets, client_ip=client_ip, uri=uri, count=not_counted
        )
        if session.partner_id != beacon.partner_id or session.type != KS_TYPE_USER:
            return None
        # A beacon is one use of a KS carrying `actionslimit`: past the limit it is not scored.
        count_apart(engine)(session)
    except KsInvalid:
        return None
    # A KS naming its user wins over the parameter; an anonymous (widget) KS leaves the parameter to say it.
    return session.user_id or (None if require_ks else beacon.user_id)


class BeaconPartners:
    """Whether partners take beacons without a KS (they exist, are enabled and have game services), read from the
    database at most once every ``PARTNER_FACTS_SECONDS`` per partner: such beacons, which anyone can send, read
    nothing while their partner's facts are fresh.

    Only partners that exist are remembered (made-up ids cannot fill the memory): a partner id not remembered is
    read only if `may_read` (the caller's rate limit) allows it; the facts of a partner remembered are read again
    when stale whatever `may_read` says, at most once every ``PARTNER_FACTS_SECONDS`` for each partner that exists.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        seconds: float = PARTNER_FACTS_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._seconds = seconds
        self.clock = clock
        # partner id -> (takes beacons, read at), in order of reading.
        self._facts: dict[int, tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def takes_beacons(self, partner_id: int, *, may_read: Callable[[], bool]) -> bool:
        """Whether the partner takes beacons; False too when it would have to be read and `may_read` refuses."""
        now = self.clock()
        with self._lock:
            known = self._facts.get(partner_id)
        if known is not None and now - known[1] < self._seconds:
            return known[0]
        if known is None and not may_read():
            return False
        snapshot = partner_repository.auth_snapshot(self._engine, partner_id=partner_id, ks_hash=ks_hash(""))
        takes = snapshot is not None and snapshot.partner.enabled and snapshot.partner.game_services_enabled
        with self._lock:
            self._facts.pop(partner_id, None)
            if snapshot is not None:
                self._facts[partner_id] = (takes, now)
                if len(self._facts) > MAX_PARTNER_FACTS:
                    del self._facts[next(iter(self._facts))]
        return takes


def write_beacons(
    conn: Connection, *, state: PartnerState, partner_id: int, viewed: Sequence[Viewed]
) -> list[bool]:
    """Apply beacons of one partner in arrival order; for each, whether it scored an event (not a repeat,
    not refused). The caller holds the partner's writer turn around the transaction."""
    # Before reading the sessions' sums: another process cannot change them until this transaction ends.
    session_repository.lock_sessions(conn, partner_id=partner_id)
    conversion = _Conversion.start(conn, partner_id, viewed)
    calls: list[tuple[Sequence[object], float]] = []
    for item in viewed:
        converted = conversion.event_of(item)
        calls.append(([converted] if converted is not None else [], item.received_at))
    results = event_service.send_calls(conn, state=state, partner_id=partner_id, calls=calls)
    # A VIEW that added no play time sent no event: its id is remembered here, so that a late repeat of it is
    # known as one rather than read as the player's reset.
    processed_repository.record_event_ids(conn, partner_id, conversion.unsent_ids)
    session_repository.save_views(
        conn, partner_id=partner_id, views=conversion.changed_views, now=max(v.received_at for v in viewed)
    )
    return [
        len(events) > 0 and result.accepted > 0 for (events, _), result in zip(calls, results, strict=True)
    ]


@dataclass
class _Conversion:
    """Beacons → rule events, with what the database already knows: beacon ids seen, sessions' last sums,
    the partner's entry settings."""

    known_ids: set[str]
    views: dict[SessionKey, LastView]
    facts: dict[str, tuple[list[str] | None, str | None]]
    changed_views: dict[SessionKey, LastView] = field(default_factory=dict)
    unsent_ids: list[str] = field(default_factory=list)  # of beacons new to the partner that yield no event

    @classmethod
    def start(cls, conn: Connection, partner_id: int, viewed: Sequence[Viewed]) -> "_Conversion":
        ids = [item.beacon.event_id(item.user_id) for item in viewed]
        views = [_session_key(item) for item in viewed if item.beacon.event_type == VIEW]
        return cls(
            known_ids=processed_repository.known_event_ids(conn, partner_id, ids),
            views=session_repository.last_views(conn, partner_id=partner_id, keys=views),
            facts={
                entry_id: _usable_facts(categories, virtual_event_id)
                for entry_id, (categories, virtual_event_id) in entry_repository.entry_facts(
                    conn, partner_id=partner_id, entry_ids=[item.beacon.entry_id for item in viewed]
                ).items()
            },
        )

    def event_of(self, item: Viewed) -> dict[str, Any] | None:
        beacon = item.beacon
        event_id = beacon.event_id(item.user_id)
        if event_id in self.known_ids:
            return None  # an exact repeat: it neither scores nor moves its session's sum
        added = key = view = None
        if beacon.event_type == VIEW and beacon.play_time_sum is not None:
            key = _session_key(item)
            previous_sum, previous_index = self.views.get(key, (None, None))
            index = beacon.session_index  # (a beacon without one: not compared)
            added = play_time(previous_sum, beacon.play_time_sum, previous_index, index)
            view = (beacon.play_time_sum, index)
        event = rule_event(beacon, item.user_id, play_time_added=added)
        if event is not None:
            self._fill(event, beacon)
        if self._refused(item, event):
            return None  # the event path refuses its event: no trace, its session's sum unmoved
        self.known_ids.add(event_id)
        if key is not None and view is not None:
            self.views[key] = self.changed_views[key] = view
        if event is None:
            self.unsent_ids.append(event_id)
        return event

    def _fill(self, event: dict[str, Any], beacon: Beacon) -> None:
        categories, virtual_event_id = self.facts.get(beacon.entry_id, (None, None))
        if categories:
            event["categories"] = categories
        if virtual_event_id and "virtualEventId" not in event:
            event["virtualEventId"] = virtual_event_id

    def _refused(self, item: Viewed, event: dict[str, Any] | None) -> bool:
        """Whether `event/send`'s checks refuse the beacon's event (a viewer id no event may name, a play time
        past a limit), checked before anything moves: the event itself, play time and all; for a VIEW that adds
        no play time (and sends no event), the event it would send with some, so that what the checks refuse
        in it (its viewer, its ids) leaves its session's sum unmoved too."""
        probe = event if event is not None else rule_event(item.beacon, item.user_id, play_time_added=1.0)
        assert probe is not None
        if event is None:
            self._fill(probe, item.beacon)
        try:
            normalize_event(probe, received_at=item.received_at)
        except EventRejected:
            return True
        return False


def _usable_facts(
    categories: list[str] | None, virtual_event_id: str | None
) -> tuple[list[str] | None, str | None]:
    """An entry's categories and virtual event as its beacons' events may carry them: values stored before
    `entry/upsert` refused them (a control character, a category of spaces alone), which would have every event
    of the entry refused, are left out, and the rest kept."""
    if categories:
        categories = [category for category in categories if _usable_id(category)]
    if virtual_event_id is not None and not _usable_id(virtual_event_id):
        virtual_event_id = None
    return categories or None, virtual_event_id


def _usable_id(value: object) -> bool:
    if not isinstance(value, str):
        return True  # (a number: as the event checks take it)
    text = value.strip()
    return bool(text) and not has_control_characters(text)


def _session_key(item: Viewed) -> SessionKey:
    return (item.user_id, item.beacon.entry_id, item.beacon.session_id)


def forget_idle_sessions(engine: Engine, *, now: float) -> int:
    """Drop viewing sessions idle for an hour (a scheduler job); how many went."""
    with write_transaction(engine) as conn:
        return session_repository.forget_idle(conn, before=now - IDLE_SESSION_SECONDS)


class BeaconWriter:
    """Writes beacons in groups per partner (`projection.group_commit`): the beacon that finds no group running
    takes every beacon waiting meanwhile and writes them in one transaction (one durable commit for many beacons),
    holding the partner's writer turn, as ``event/send`` calls are grouped (``LiveState.grouped``), in a group of
    their own. A failing group is written again one beacon at a time, so a bad beacon fails alone (but not a group
    that committed and failed after: it is never written twice). No beacon is answered before its group commits."""

    def __init__(self, engine: Engine, live: LiveState) -> None:
        self._engine = engine
        self._live = live
        self._groups: dict[int, GroupCommit] = {}
        self._guard = threading.Lock()

    def write(self, partner_id: int, viewed: Viewed) -> bool:
        """Write one beacon (with whichever others wait); whether it scored."""
        with self._guard:
            commits = self._groups.setdefault(partner_id, GroupCommit())
        # (A group is written holding the partner's writer turn, as `LiveState.grouped` writes event/send calls.)
        state = self._live.partner(partner_id)
        scored: bool = commits.run(
            viewed, lambda group: self._run(state, partner_id, group), state.write_lock
        )
        return scored

    def _run(self, state: PartnerState, partner_id: int, viewed: list[Viewed]) -> list[bool]:
        """Write a group of beacons in one transaction (the caller holds the partner's writer turn)."""
        with write_transaction(self._engine) as conn:
            return write_beacons(conn, state=state, partner_id=partner_id, viewed=viewed)
