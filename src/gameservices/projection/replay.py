"""Replaying a partner's event log from the first entry into a private projection, and comparing it with the
state the tables hold (`gameservices db replay --verify`: the operator's proof that nothing drifted)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gameservices.domain.awards import Evaluation
from gameservices.domain.batch import ProfileLookup
from gameservices.domain.events import NormalizedEvent
from gameservices.domain.policies import UserFacts
from gameservices.projection import entries
from gameservices.projection.apply import Applier
from gameservices.projection.badges import Achieved, ReplayedBadges
from gameservices.projection.certificates import Certificates, ReplayedCertificates, issued
from gameservices.projection.ledger import ReplayedLedger, comparable
from gameservices.projection.live import LiveState
from gameservices.projection.state import PartnerState
from gameservices.services.profiles.profiles_lookup import facts_of
from gameservices.storage import achievements as achievement_repository
from gameservices.storage import checkpoints, event_log
from gameservices.storage import scores as score_repository
from gameservices.storage.database import Connection
from gameservices.storage.user_profiles import ProfileRecord

READ_CHUNK = 2_000
MAX_REPORTED = 20


class NotReplayable(Exception):
    """The partner's log does not hold every entry from its first (retention deleted some)."""


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
    return replay_with_achievements(conn, partner_id).state


@dataclass
class Replayed:
    """A replay's projection, with the achievements the log says were recorded: badges achieved, and user
    certificates (but those of `unknown_certificates`, rebuilt by entries that do not carry the result)."""

    state: PartnerState
    badges: Achieved
    certificates: Certificates
    unknown_certificates: set[str]
    ledger: ReplayedLedger


def replay_with_achievements(conn: Connection, partner_id: int) -> Replayed:
    """`replay`, and the badges and certificates it decides at the points the writer did
    (`projection.badges`, `projection.certificates`)."""
    state = PartnerState()
    state.make_private()
    badges = ReplayedBadges(state)
    ledger = ReplayedLedger(state)
    certificates = ReplayedCertificates(state, ledger)
    applier = Applier(state, _ReplayedProfiles())

    def observe(events: list[NormalizedEvent], evaluation: Evaluation) -> None:
        ledger.observe(events, evaluation)  # (first: certificates read it)
        badges.observe(events, evaluation)
        certificates.observe(events, evaluation)

    applier.observe = observe
    # (Read first: every entry up to it is committed, and a later read sees it unless retention deleted it.)
    newest = event_log.last_seq(conn, partner_id)
    seq = 0
    while found := event_log.entries_after(conn, partner_id, seq, limit=READ_CHUNK):
        if seq == 0 and found[0].seq != 1:
            raise NotReplayable(f"the log of partner {partner_id} starts at entry {found[0].seq}")
        for entry in found:
            if entry.seq != seq + 1:
                # Retention deletes by the time a call was received: one received earlier may commit later, and
                # its entry go while the entries around it stay.
                raise NotReplayable(
                    f"the log of partner {partner_id} lacks entries {seq + 1}-{entry.seq - 1}"
                )
            seq = entry.seq
            if entry.kind == entries.EVENTS:
                applier.apply(entry.kind, entry.body)
                continue
            details = event_log.decode_body(entry.body)
            badge_id = badges.before(entry.kind, details)
            ledger.before(entry.kind, details)
            applier.apply_details(entry.kind, details)
            ledger.after(entry.kind, details)
            badges.after(entry.kind, details, badge_id)
            certificates.after(entry.kind, details)
    if seq == 0 and newest > 0:
        raise NotReplayable(f"the log of partner {partner_id} retains no entry")
    if seq < newest:
        raise NotReplayable(f"the log of partner {partner_id} lacks entries {seq + 1}-{newest}")
    applier.finish()
    state.reached(seq)
    return Replayed(state, badges.achieved, certificates.certificates, set(certificates.unknown), ledger)


@dataclass
class Verdict:
    """How a replay compared with the tables."""

    partner_id: int
    entries: int
    buckets: int
    standings: int
    badges: int = 0
    certificates: int = 0
    closed_periods: int = 0
    ledger: int = 0
    rules: int = 0
    game_objects: int = 0
    entry_durations: int = 0
    # Certificates whose user certificates were not compared (rebuilt by an entry not carrying them).
    unverified: list[str] = field(default_factory=list)
    # Game objects whose ledger was not compared (rebuilt by an entry not carrying it).
    unverified_ledgers: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        """Whether the replay equals the stored state."""
        return not self.differences


def verify(conn: Connection, partner_id: int) -> Verdict:
    """Replay the partner's log and compare every bucket, standing, closed period, ledger row, rule, game object
    and kept entry duration with the state loaded from the tables, every badge achieved with those recorded, and every user certificate with those stored."""
    replayed = replay_with_achievements(conn, partner_id)
    with LiveState().reading(conn, partner_id) as stored:
        expected_buckets, expected_standings = snapshot(stored)
        expected_periods = closed_periods(stored)
        expected_definitions = definitions(stored)
        # The ledger table plus the points of the entries after its checkpoint (`Pending`: added, not yet written).
        stored_ledger = score_repository.all_rule_scores(conn, partner_id)
        for key, points in stored.checkpoint_rows(checkpoints.read(conn, partner_id)).ledger.items():
            stored_ledger[key] = stored_ledger.get(key, 0.0) + points
    unknown_ledgers = replayed.ledger.unknown
    expected_ledger = comparable(stored_ledger, unknown_ledgers)
    expected_badges = achievement_repository.all_badges(conn, partner_id)
    unverified = replayed.unknown_certificates
    expected_certificates = {
        key: found for key, found in stored_certificates(conn, partner_id).items() if key[0] not in unverified
    }
    buckets, standings = snapshot(replayed.state)
    verdict = Verdict(
        partner_id,
        replayed.state.log_seq,
        len(expected_buckets),
        len(expected_standings),
        len(expected_badges),
        len(expected_certificates),
        len(expected_periods),
        len(expected_ledger),
        len(expected_definitions[0]),
        len(expected_definitions[1]),
        len(expected_definitions[2]),
        sorted(unverified),
        sorted(unknown_ledgers),
    )
    rules, objects, durations = definitions(replayed.state)
    compared: list[tuple[str, Mapping[Any, object], Mapping[Any, object]]] = [
        ("bucket", buckets, expected_buckets),
        ("standing", standings, expected_standings),
        ("badge", replayed.badges, expected_badges),
        ("certificate", replayed.certificates, expected_certificates),
        # (A load times late events by the closed periods the tables hold; a replay by the log's closes.)
        ("closed period", closed_periods(replayed.state), expected_periods),
        ("ledger", comparable(replayed.ledger.points, unknown_ledgers), expected_ledger),
        # What later events are scored by: a difference here shows in no score until they come.
        ("rule", rules, expected_definitions[0]),
        ("game object", objects, expected_definitions[1]),
        ("entry duration", durations, expected_definitions[2]),
    ]
    for name, mine, theirs in compared:
        for key in sorted(set(mine) | set(theirs), key=repr):
            if mine.get(key) != theirs.get(key) and len(verdict.differences) < MAX_REPORTED:
                verdict.differences.append(
                    f"{name} {key!r}: replayed {mine.get(key)!r}, stored {theirs.get(key)!r}"
                )
    return verdict


def stored_certificates(conn: Connection, partner_id: int) -> Certificates:
    """Every user certificate of the partner's certificates, comparable."""
    return {
        (record.certificate_id, record.user_id, record.entry_id): issued(record)
        for record in achievement_repository.all_certificates(conn, partner_id)
    }


Snapshot = tuple[dict[object, object], dict[object, object]]


def closed_periods(state: PartnerState) -> dict[object, object]:
    """Every closed period a state holds, comparable: (game object id, period index) -> (startsAt, endsAt,
    closedAt)."""
    return {
        (object_id, period.index): (period.starts_at, period.ends_at, period.closed_at)
        for object_id, periods in state.period_closes.items()
        for period in periods
    }


def definitions(
    state: PartnerState,
) -> tuple[Mapping[Any, object], Mapping[Any, object], Mapping[Any, object]]:
    """The rules, game objects and kept entry durations a state scores later events by, comparable."""
    return (
        {rule_id: record.__dict__ for rule_id, record in state.rules.items()},
        {object_id: record.__dict__ for object_id, record in state.objects.items()},
        dict(state.entry_durations),
    )


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
