"""Replaying a partner's event log from the first entry into a private projection, and comparing it with the
state the tables hold (`gameservices db replay --verify`: the operator's proof that nothing drifted)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gameservices.domain.batch import ProfileLookup
from gameservices.domain.events import NormalizedEvent
from gameservices.domain.policies import UserFacts
from gameservices.projection import entries
from gameservices.projection.apply import Applier
from gameservices.projection.badges import Achieved, ReplayedBadges
from gameservices.projection.live import LiveState
from gameservices.projection.state import PartnerState
from gameservices.services.profiles_lookup import facts_of
from gameservices.storage import achievements as achievement_repository
from gameservices.storage import event_log
from gameservices.storage.database import Connection
from gameservices.storage.user_profiles import ProfileRecord

READ_CHUNK = 2_000
MAX_REPORTED = 20


class NotReplayable(Exception):
    """The partner's log does not start at its first entry (older entries were not kept)."""


class _ReplayedProfiles:
    """Profiles as the log says they were at each point of the replay."""

    def __init__(self) -> None:
        self._facts: dict[str, UserFacts] = {}

    def lookup(self, events: Sequence[NormalizedEvent]) -> ProfileLookup:
        return self

    def facts(self, user_id: str) -> UserFacts | None:
        return self._facts.get(user_id)

    def changed(self, user_id: str, record: ProfileRecord | None) -> None:
        if record is None:
            self._facts.pop(user_id, None)
        else:
            self._facts[user_id] = facts_of(record)


# Other private replays (`projection.simulate`) follow profiles the same way.
ReplayedProfiles = _ReplayedProfiles


def replay(conn: Connection, partner_id: int) -> PartnerState:
    """A projection built from the partner's whole log alone; raise NotReplayable when its start is gone."""
    return replay_with_badges(conn, partner_id)[0]


def replay_with_badges(conn: Connection, partner_id: int) -> tuple[PartnerState, Achieved]:
    """`replay`, and the badges the log says were achieved (`projection.badges`)."""
    state = PartnerState()
    state.make_private()
    badges = ReplayedBadges(state)
    applier = Applier(state, _ReplayedProfiles())
    applier.observe = badges.observe
    seq = 0
    while found := event_log.entries_after(conn, partner_id, seq, limit=READ_CHUNK):
        if seq == 0 and found[0].seq != 1:
            raise NotReplayable(f"the log of partner {partner_id} starts at entry {found[0].seq}")
        for entry in found:
            if entry.kind == entries.EVENTS:
                applier.apply(entry.kind, entry.body)
                continue
            details = event_log.decode_body(entry.body)
            badge_id = badges.before(entry.kind, details)
            applier.apply_details(entry.kind, details)
            badges.after(entry.kind, details, badge_id)
        seq = found[-1].seq
    applier.finish()
    state.reached(seq)
    return state, badges.achieved


@dataclass
class Verdict:
    """How a replay compared with the tables."""

    partner_id: int
    entries: int
    buckets: int
    standings: int
    badges: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        """Whether the replay equals the stored state."""
        return not self.differences


def verify(conn: Connection, partner_id: int) -> Verdict:
    """Replay the partner's log and compare every bucket and standing with the state loaded from the tables, and
    every badge achieved with those recorded."""
    replayed, badges = replay_with_badges(conn, partner_id)
    with LiveState().reading(conn, partner_id) as stored:
        expected_buckets, expected_standings = snapshot(stored)
    expected_badges = achievement_repository.all_badges(conn, partner_id)
    buckets, standings = snapshot(replayed)
    verdict = Verdict(
        partner_id, replayed.log_seq, len(expected_buckets), len(expected_standings), len(expected_badges)
    )
    compared: list[tuple[str, Mapping[Any, object], Mapping[Any, object]]] = [
        ("bucket", buckets, expected_buckets),
        ("standing", standings, expected_standings),
        ("badge", badges, expected_badges),
    ]
    for name, mine, theirs in compared:
        for key in sorted(set(mine) | set(theirs), key=repr):
            if mine.get(key) != theirs.get(key) and len(verdict.differences) < MAX_REPORTED:
                verdict.differences.append(
                    f"{name} {key!r}: replayed {mine.get(key)!r}, stored {theirs.get(key)!r}"
                )
    return verdict


Snapshot = tuple[dict[object, object], dict[object, object]]


def snapshot(state: PartnerState) -> Snapshot:
    """Every bucket and every standing of a state, comparable."""
    buckets: dict[object, object] = {
        key: (b.user_id, b.progress, b.awarded, b.completed_at, frozenset(b.seen or ()))
        for key, b in state.buckets.items()
    }
    standings: dict[object, object] = {
        (object_id, user_id): (s.score, s.reached_at, s.hidden)
        for object_id, board in state.boards.items()
        for user_id, s in board.standings()
    }
    return buckets, standings
