"""User certificates, decided from a projection as its log is replayed: the records the writer keeps in
`user_certificates` (`services.achievements`), decided at the same points of the log by the same function, so
that a replay (`db replay --verify`) recomputes and compares them too.

A certificate's progress reads the ledger: each user's points per rule on the certificate, which the replay keeps
as the writer's tables do (`projection.ledger`). The writer decides for the users an `events` entry awards points
on the certificate; clearing the certificate's scores or deleting it drops its records; a rebuild writes records
of its own, which its entry carries (`services.rebuild`). A rebuild entry written before entries carried them
leaves the certificate unknown to the replay until its scores are cleared."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from gameservices.domain.awards import Award, Evaluation
from gameservices.domain.events import NormalizedEvent
from gameservices.projection import entries
from gameservices.projection.ledger import ReplayedLedger
from gameservices.projection.state import PartnerState
from gameservices.services.scoring.achievements import UserBuckets, decide_certificates
from gameservices.storage.achievements import CertificateRecord


@dataclass(frozen=True, slots=True)
class Issued:
    """A user certificate as compared: its status, credits, points per rule, and when it was certified and
    last updated (its id, made up by whoever wrote it, is left out)."""

    status: str
    credits: float
    rules: tuple[tuple[str, float], ...]
    certified_at: float | None
    updated_at: float


# (certificate id, user id, entry id) -> the user certificate
Certificates = dict[tuple[str, str, str], Issued]


def issued(record: CertificateRecord) -> Issued:
    """A stored or decided user certificate, comparable."""
    rules = tuple(sorted((str(item["id"]), float(item["score"])) for item in record.rules_data))
    return Issued(record.status, float(record.credits), rules, record.certified_at, record.updated_at)


class ReplayedCertificates:
    """Follows one replayed state: call `before` and `after` around every non-`events` entry, and `observe` with
    every `events` entry's evaluation once applied (`Applier.observe`)."""

    def __init__(self, state: PartnerState, ledger: ReplayedLedger) -> None:
        self._state = state
        # The replay's ledger (`projection.ledger`), which a certificate's progress reads.
        self._ledger = ledger
        # certificate id -> (user id, entry id) -> the record as the writer would hold it
        self._records: dict[str, dict[tuple[str, str], CertificateRecord]] = {}
        # Certificates rebuilt by an entry that does not carry what the rebuild wrote.
        self.unknown: set[str] = set()

    @property
    def certificates(self) -> Certificates:
        """Every user certificate the log says exists (those of unknown certificates left out)."""
        return {
            (certificate_id, user_id, entry_id): issued(record)
            for certificate_id, records in self._records.items()
            if certificate_id not in self.unknown
            for (user_id, entry_id), record in records.items()
        }

    def observe(self, events: list[NormalizedEvent], evaluation: Evaluation) -> None:
        """An `events` entry applied: book its awards on certificates, then decide for the users it awarded."""
        awarded: dict[str, dict[str, list[Award]]] = {}
        for award in evaluation.awards:
            if award.distributed and self._is_certificate(award.game_object_id):
                awarded.setdefault(award.game_object_id, {}).setdefault(award.user_id, []).append(award)
        if not awarded:
            return
        view = UserBuckets(self._state)
        for certificate_id, by_user in awarded.items():
            certificate = self._state.objects[certificate_id]
            rules = [rule for rule in self._state.rules.values() if rule.game_object_id == certificate_id]
            kept = self._records.setdefault(certificate_id, {})
            ledger = self._ledger.of(certificate_id)
            for record in decide_certificates(certificate, rules, kept, by_user, view, _points_of(ledger)):
                before = kept.get((record.user_id, record.entry_id))
                if before is not None and before.certified_at is not None:  # as the table's upsert keeps it
                    record = replace(record, certified_at=before.certified_at)
                kept[(record.user_id, record.entry_id)] = record

    def after(self, kind: str, details: Mapping[str, Any]) -> None:
        """A non-`events` entry was applied."""
        if kind in (entries.SCORES_CLEARED, entries.GAME_OBJECT_DELETE):
            certificate_id = details["gameObjectId"]
            self._records.pop(certificate_id, None)
            self.unknown.discard(certificate_id)
        elif kind == entries.GAME_OBJECT_REBUILD and self._is_certificate(details["gameObjectId"]):
            self._rebuilt(details)

    def _rebuilt(self, details: Mapping[str, Any]) -> None:
        certificate_id = details["gameObjectId"]
        if "certificates" not in details:
            self.unknown.add(certificate_id)
            return
        self._records[certificate_id] = {
            (user_id, entry_id): CertificateRecord(
                "", certificate_id, user_id, entry_id, status, credits, rules_data, certified_at, updated_at
            )
            for user_id, entry_id, status, credits, rules_data, certified_at, updated_at in details[
                "certificates"
            ]
        }
        self.unknown.discard(certificate_id)

    def _is_certificate(self, object_id: str) -> bool:
        found = self._state.objects.get(object_id)
        return found is not None and found.object_type == "certificate"


def _points_of(ledger: Mapping[str, Mapping[str, float]]) -> Callable[[str], Mapping[str, float]]:
    return lambda user_id: ledger.get(user_id, {})


def rebuild_details(
    ledger: Mapping[tuple[str, str, str], float], records: list[CertificateRecord]
) -> dict[str, Any]:
    """What a certificate's `gameObject.rebuild` entry carries beside its buckets and standings: the ledger and
    the user certificates the rebuild wrote."""
    return {
        "ledger": [[rule_id, user_id, points] for (_, rule_id, user_id), points in sorted(ledger.items())],
        "certificates": [
            [r.user_id, r.entry_id, r.status, r.credits, r.rules_data, r.certified_at, r.updated_at]
            for r in sorted(records, key=lambda r: (r.user_id, r.entry_id))
        ],
    }
