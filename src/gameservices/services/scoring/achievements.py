"""Badges achieved and certificates earned, decided as events are applied and recorded once, so that later rule
changes never take an achievement back."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from gameservices.domain.awards import Award, Evaluation
from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.domain.credits import parse_credits_mapping
from gameservices.domain.ids import new_object_id
from gameservices.domain.timefmt import format_ms
from gameservices.domain.values import shown_number as number
from gameservices.feed.changes import BADGE_ACHIEVED, CERTIFICATE_ISSUED, Changes
from gameservices.projection.state import PartnerState
from gameservices.services.catalog.rule_set import compile_rule
from gameservices.storage import achievements as repository
from gameservices.storage import buckets as bucket_repository
from gameservices.storage import game_objects as object_repository
from gameservices.storage import rules as rule_repository
from gameservices.storage import scores as score_repository
from gameservices.storage.achievements import CertificateRecord
from gameservices.storage.database import Connection
from gameservices.storage.game_objects import GameObjectRecord
from gameservices.storage.rules import RuleRecord

CERTIFIED = "CERTIFIED"
IN_PROGRESS = "IN_PROGRESS"


@dataclass
class UserBuckets:
    """The buckets of users as they stand after a batch (the batch's changes over the stored state)."""

    state: PartnerState
    changed: Mapping[BucketKey, Bucket] = field(default_factory=dict)

    def of(self, user_id: str, rule_ids: Iterable[str]) -> dict[BucketKey, Bucket]:
        """The user's buckets of the given rules."""
        wanted = set(rule_ids)
        keys = set(self.state.user_buckets.get(user_id, ()))
        keys.update(key for key, bucket in self.changed.items() if bucket.user_id == user_id)
        found: dict[BucketKey, Bucket] = {}
        for key in keys:
            if key[0] in wanted:
                bucket = self.changed.get(key) or self.state.get_bucket(key)
                if bucket is not None:
                    found[key] = bucket
        return found


def record(
    conn: Connection, *, state: PartnerState, partner_id: int, evaluation: Evaluation, changes: Changes
) -> None:
    """Record the badges and certificates the batch's events earned, and note them as changes."""
    touched: dict[str, dict[str, float]] = {}
    happenings: list[tuple[str, str, float]] = [
        (item.game_object_id, item.user_id, item.event_time) for item in evaluation.awards
    ]
    happenings += [(item.game_object_id, item.user_id, item.event_time) for item in evaluation.completions]
    for object_id, user_id, event_time in happenings:
        users = touched.setdefault(object_id, {})
        users[user_id] = max(users.get(user_id, 0.0), event_time)
    awards: dict[str, dict[str, list[Award]]] = {}
    for award in evaluation.awards:
        if award.distributed:
            awards.setdefault(award.game_object_id, {}).setdefault(award.user_id, []).append(award)
    view = UserBuckets(state, evaluation.changed)
    for object_id, users in touched.items():
        # The state's game objects are those its rule set was built from: current in this transaction.
        game_object = state.objects.get(object_id) or object_repository.get_game_object(
            conn, partner_id=partner_id, object_id=object_id
        )
        if game_object is None:
            continue
        if game_object.object_type == "badge":
            _record_badges(conn, partner_id, game_object, users, view, changes)
        elif game_object.object_type == "certificate":
            _record_certificates(conn, partner_id, game_object, awards.get(object_id, {}), view, changes)


def badge_rule_ids(conn: Connection, partner_id: int, badge_id: str) -> list[str]:
    """The enabled rules of a badge: the ones a user must complete."""
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=badge_id)
    return [rule.id for rule in rules if rule.status == "enabled"]


def completion_times(buckets: Mapping[BucketKey, Bucket], rule_ids: Iterable[str]) -> dict[str, float]:
    """For each rule, when the user first completed one of its buckets (rules not completed are absent)."""
    times: dict[str, float] = {}
    for (rule_id, _), bucket in buckets.items():
        if bucket.completed_at is not None and rule_id in rule_ids:
            times[rule_id] = min(times.get(rule_id, bucket.completed_at), bucket.completed_at)
    return times


def reevaluate_badge(
    conn: Connection, *, partner_id: int, badge_id: str, changes: Changes | None = None
) -> None:
    """After a badge's rules changed: record the users who now meet every enabled rule (those who achieved it
    keep it), noting them as changes when given `changes`."""
    game_object = object_repository.get_game_object(conn, partner_id=partner_id, object_id=badge_id)
    if game_object is None or game_object.object_type != "badge":
        return
    rule_ids = badge_rule_ids(conn, partner_id, badge_id)
    if not rule_ids:
        return
    by_user: dict[str, dict[BucketKey, Bucket]] = {}
    for key, bucket in bucket_repository.buckets_of_rules(conn, partner_id, rule_ids).items():
        if bucket.user_id is not None:
            by_user.setdefault(bucket.user_id, {})[key] = bucket
    achieved = repository.achieved_badges(conn, partner_id, badge_id)
    newly = []
    for user_id, buckets in by_user.items():
        times = completion_times(buckets, rule_ids)
        if user_id not in achieved and len(times) == len(rule_ids):
            newly.append((badge_id, user_id, max(times.values())))
    repository.record_badges(conn, partner_id, newly)
    if changes is not None:
        _note_badges(newly, changes)


def _record_badges(
    conn: Connection,
    partner_id: int,
    badge: GameObjectRecord,
    users: Mapping[str, float],
    view: UserBuckets,
    changes: Changes,
) -> None:
    rule_ids = badge_rule_ids(conn, partner_id, badge.id)
    if not rule_ids:
        return
    achieved = repository.achieved_among(conn, partner_id, badge.id, users)
    newly = []
    for user_id in users:
        if user_id in achieved:
            continue
        times = completion_times(view.of(user_id, rule_ids), rule_ids)
        if len(times) == len(rule_ids):
            newly.append((badge.id, user_id, max(times.values())))
    repository.record_badges(conn, partner_id, newly)
    _note_badges(newly, changes)


def _note_badges(newly: Iterable[tuple[str, str, float]], changes: Changes) -> None:
    """A `badge.achieved` change for each (badge id, user id, achieved at) newly recorded."""
    for badge_id, user_id, achieved_at in newly:
        changes.add(
            BADGE_ACHIEVED,
            {"gameObjectId": badge_id, "userId": user_id, "achievedAt": format_ms(round(achieved_at * 1000))},
        )


def _record_certificates(
    conn: Connection,
    partner_id: int,
    certificate: GameObjectRecord,
    awards: Mapping[str, list[Award]],
    view: UserBuckets,
    changes: Changes,
    ids: Mapping[tuple[str, str], str] | None = None,
) -> None:
    rules = rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=certificate.id)
    # Only the records of the users the batch awarded: what the decision and the notes read.
    existing = {
        (record.user_id, record.entry_id): record
        for record in repository.certificates_of_users(conn, partner_id, certificate.id, awards)
    }

    def ledger(user_id: str) -> Mapping[str, float]:
        return score_repository.rule_scores_of_user(conn, partner_id, certificate.id, user_id)

    records = decide_certificates(certificate, rules, existing, awards, view, ledger)
    if ids:
        records = [
            replace(record, id=ids.get((record.user_id, record.entry_id), record.id)) for record in records
        ]
    repository.save_certificates(conn, partner_id, records)
    for record in records:
        before = existing.get((record.user_id, record.entry_id))
        if record.status == CERTIFIED and (before is None or before.status != CERTIFIED):
            changes.add(CERTIFICATE_ISSUED, _issued(record))


def decide_certificates(
    certificate: GameObjectRecord,
    rules: Iterable[RuleRecord],
    existing: Mapping[tuple[str, str], CertificateRecord],
    awards: Mapping[str, list[Award]],
    view: UserBuckets,
    ledger: Callable[[str], Mapping[str, float]],
) -> list[CertificateRecord]:
    """The user certificates a batch's awards on a certificate leave (each user's, or each user's per entry),
    from the records before it (`existing`, by user and entry), the buckets after it and the users' ledger on
    the certificate after it (rule id -> points). A replay of the log (`projection.certificates`) decides with
    this same function."""
    rules = list(rules)
    entry_positions = _entry_positions(rules)
    per_entry = certificate.data.get("certificateEligibility") == "perEntry"
    records = []
    for user_id, user_awards in awards.items():
        if per_entry:
            scores = _entry_scores(view.of(user_id, [rule.id for rule in rules]), entry_positions)
        else:
            scores = {"": dict(ledger(user_id))}
        crossed = _certification_times(
            certificate, scores, user_awards, entry_positions if per_entry else None
        )
        last_time = max((award.event_time for award in user_awards), default=0.0)
        for entry_id, rule_scores in scores.items():
            before = existing.get((user_id, entry_id))
            if before is None and not any(rule_scores.values()):
                continue  # a user (or entry) is listed once it earned points
            records.append(
                _certificate(certificate, user_id, entry_id, rule_scores, before, crossed, last_time)
            )
    return records


def _issued(record: CertificateRecord) -> dict[str, object]:
    """The data of a `certificate.issued` change."""
    data: dict[str, object] = {"gameObjectId": record.certificate_id, "userId": record.user_id}
    if record.entry_id:
        data["entryId"] = record.entry_id
    data["userCertificateId"] = record.id
    data["credits"] = number(record.credits)
    return data


def credits_of(certificate: GameObjectRecord, rule_scores: Mapping[str, float]) -> float:
    """A user's credits: the highest mapping row met, or the sum of rule scores without a mapping."""
    mapping = certificate.data.get("creditsMapping")
    if mapping:
        return parse_credits_mapping(mapping).credits_for(rule_scores)
    return sum(rule_scores.values())


def is_certified(certificate: GameObjectRecord, credits: float) -> bool:
    """Whether credits reach the certificate's threshold (and are not nothing)."""
    return credits > 0 and credits >= float(certificate.data.get("certifiedCreditsThreshold", 0))


def _certification_times(
    certificate: GameObjectRecord,
    scores: Mapping[str, Mapping[str, float]],
    awards: list[Award],
    entry_positions: Mapping[str, int] | None,
) -> dict[str, float]:
    """Replay the batch's awards from the scores before it: when each entry's credits first reached the threshold."""
    running = {entry: dict(rule_scores) for entry, rule_scores in scores.items()}
    entries = [_entry_of(award, entry_positions) for award in awards]
    for award, entry in zip(awards, entries, strict=True):
        if entry is not None and entry in running:
            running[entry][award.rule_id] = running[entry].get(award.rule_id, 0.0) - award.points
    crossed: dict[str, float] = {}
    for award, entry in zip(awards, entries, strict=True):
        if entry is None or entry not in running or entry in crossed:
            continue
        running[entry][award.rule_id] = running[entry].get(award.rule_id, 0.0) + award.points
        if is_certified(certificate, credits_of(certificate, running[entry])):
            crossed[entry] = award.event_time
    return crossed


def _entry_of(award: Award, entry_positions: Mapping[str, int] | None) -> str | None:
    if entry_positions is None:
        return ""
    position = entry_positions.get(award.rule_id)
    values = award.bucket_key[1]
    return values[position] if position is not None and position < len(values) else None


def _certificate(
    certificate: GameObjectRecord,
    user_id: str,
    entry_id: str,
    rule_scores: Mapping[str, float],
    before: CertificateRecord | None,
    crossed: Mapping[str, float],
    last_time: float,
) -> CertificateRecord:
    credits = credits_of(certificate, rule_scores)
    already = before is not None and before.status == CERTIFIED
    certified = already or is_certified(certificate, credits)
    certified_at = before.certified_at if already and before is not None else crossed.get(entry_id, last_time)
    return CertificateRecord(
        id=before.id if before is not None else new_object_id(),
        certificate_id=certificate.id,
        user_id=user_id,
        entry_id=entry_id,
        status=CERTIFIED if certified else IN_PROGRESS,
        credits=credits,
        rules_data=[{"id": rule_id, "score": score} for rule_id, score in sorted(rule_scores.items())],
        certified_at=certified_at if certified else None,
        updated_at=last_time,
    )


def entry_points(
    conn: Connection, partner_id: int, rules: list[RuleRecord]
) -> dict[str, dict[str, dict[str, float]]]:
    """By user, then entry: the points each of these rules gave the user from that entry (only rules grouped by
    entry know one; a user who earned nothing from an entry is left out)."""
    positions = _entry_positions(rules)
    by_user: dict[str, dict[BucketKey, Bucket]] = {}
    for key, bucket in bucket_repository.buckets_of_rules(conn, partner_id, list(positions)).items():
        if bucket.user_id is not None and bucket.awarded:
            by_user.setdefault(bucket.user_id, {})[key] = bucket
    return {user_id: _entry_scores(buckets, positions) for user_id, buckets in by_user.items()}


def _entry_positions(rules: list[RuleRecord]) -> dict[str, int]:
    """Where the entry id sits in each rule's bucket key (rules not grouped by entry are left out)."""
    positions = {}
    for rule in rules:
        group_by = compile_rule(rule).group_by
        if "entryId" in group_by:
            positions[rule.id] = group_by.index("entryId")
    return positions


def _entry_scores(
    buckets: Mapping[BucketKey, Bucket], positions: Mapping[str, int]
) -> dict[str, dict[str, float]]:
    """Per entry, the points each rule gave the user (from the buckets of rules grouped by entry)."""
    scores: dict[str, dict[str, float]] = {}
    for (rule_id, values), bucket in buckets.items():
        position = positions.get(rule_id)
        if position is None or position >= len(values):
            continue
        per_rule = scores.setdefault(values[position], {})
        per_rule[rule_id] = per_rule.get(rule_id, 0.0) + bucket.awarded
    return scores


def record_recomputed_certificates(
    conn: Connection,
    *,
    state: PartnerState,
    partner_id: int,
    certificate: GameObjectRecord,
    awards: Mapping[str, list[Award]],
    ids: Mapping[tuple[str, str], str] | None = None,
) -> None:
    """After a certificate was recomputed from the log (`certificate/rebuild`): update its users' records from
    the ledger just written and every award of the recomputation (`state`: the recomputed buckets). ``ids``: by
    user and entry, the ids of records the rebuild dropped first (`revokeUnearned`); a record made again keeps
    its id, and so the credential issued for it."""
    # A rebuild's certificates are not announced in the feed: it recomputes what was already announced.
    _record_certificates(conn, partner_id, certificate, awards, UserBuckets(state), Changes(), ids)
