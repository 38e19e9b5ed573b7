"""Verifiable certificates: each certified user certificate's signed Open Badges 3.0 credential, issued on
first need (the report list, the PDF, a revocation) and kept as signed; revocation through its status bit."""

import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gameservices.credentials import badge, keys, proof
from gameservices.credentials.status_list import LIST_SIZE
from gameservices.errors import Conflict
from gameservices.rendering.pdf import CertificateValues
from gameservices.services.reports.user_certificates import get as get_report
from gameservices.services.scoring.achievements import CERTIFIED
from gameservices.storage import achievements as certificate_repository
from gameservices.storage import credentials as repository
from gameservices.storage import game_objects as object_repository
from gameservices.storage import partners as partner_repository
from gameservices.storage import user_profiles as profile_repository
from gameservices.storage.achievements import CertificateRecord
from gameservices.storage.credentials import CredentialRecord, IssuerKey
from gameservices.storage.database import Connection

MAX_REASON = 1024


@dataclass(frozen=True, slots=True)
class CredentialConfig:
    """Where the public routes live and the secret sealing the issuer keys."""

    public_url: str
    secret: str

    def issuer_url(self, partner_id: int) -> str:
        """The partner's issuer profile, which publishes its verification key."""
        return f"{self.public_url}/issuers/{partner_id}"

    def key_id(self, partner_id: int) -> str:
        """The verification method of the partner's key."""
        return f"{self.issuer_url(partner_id)}#key-1"

    def credential_url(self, public_id: str) -> str:
        """The signed credential (JSON-LD)."""
        return f"{self.public_url}/credentials/{public_id}"

    def verify_url(self, public_id: str) -> str:
        """The public verify page (the short URL printed on the PDF)."""
        return f"{self.public_url}/verify/{public_id}"

    def status_url(self, partner_id: int, list_id: int) -> str:
        """A status list credential."""
        return f"{self.public_url}/status/{partner_id}/{list_id}"


def links(config: CredentialConfig | None, record: CredentialRecord | None) -> dict[str, Any]:
    """The ``credentialUrl``, ``verifyUrl`` and ``revoked`` fields of a user certificate."""
    if config is None or record is None:
        return {"credentialUrl": None, "verifyUrl": None, "revoked": False}
    return {
        "credentialUrl": config.credential_url(record.public_id),
        "verifyUrl": config.verify_url(record.public_id),
        "revoked": record.revoked,
    }


def existing(conn: Connection, partner_id: int, record_ids: Iterable[str]) -> dict[str, CredentialRecord]:
    """The credentials already issued for some user certificates."""
    return repository.credentials_of(conn, partner_id, record_ids)


def ensure(
    conn: Connection, config: CredentialConfig, partner_id: int, records: Iterable[CertificateRecord]
) -> dict[str, CredentialRecord]:
    """The credentials of the certified records, issuing (signing and storing) those not issued yet."""
    certified = [record for record in records if record.status == CERTIFIED and record.certified_at]
    found = repository.credentials_of(conn, partner_id, [record.id for record in certified])
    missing = [record for record in certified if record.id not in found]
    if not missing:
        return found
    issuer = _Issuer(
        config=config,
        partner_id=partner_id,
        name=_issuer_name(conn, partner_id),
        signer=_signer(conn, config, partner_id),
        profiles=profile_repository.get_profiles(
            conn, partner_id=partner_id, user_ids=sorted({record.user_id for record in missing})
        ),
        now=_now_ms(),
    )
    for record in missing:
        _issue(conn, issuer, record)
    return repository.credentials_of(conn, partner_id, [record.id for record in certified])


@dataclass
class _Issuer:
    """What issuing a batch of one partner's credentials shares."""

    config: CredentialConfig
    partner_id: int
    name: str
    signer: Ed25519PrivateKey
    profiles: dict[str, Any]
    now: int
    definitions: dict[str, Any] = field(default_factory=dict)


def _issue(conn: Connection, issuer: _Issuer, record: CertificateRecord) -> None:
    config, partner_id = issuer.config, issuer.partner_id
    if record.certificate_id not in issuer.definitions:
        issuer.definitions[record.certificate_id] = object_repository.get_game_object(
            conn, partner_id=partner_id, object_id=record.certificate_id
        )
    list_id, index = repository.allocate_index(conn, partner_id, list_size=LIST_SIZE, now=issuer.now)
    public_id = secrets.token_urlsafe(16)
    facts = _facts(
        issuer,
        record,
        issuer.definitions[record.certificate_id],
        issuer.profiles.get(record.user_id),
        public_id,
        badge.StatusEntry(config.status_url(partner_id, list_id), index),
    )
    document = proof.sign(badge.credential(facts), issuer.signer, _options(config, partner_id, issuer.now))
    repository.add_credential(
        conn,
        CredentialRecord(
            public_id=public_id,
            partner_id=partner_id,
            user_certificate_id=record.id,
            list_id=list_id,
            status_index=index,
            document=json.dumps(document, ensure_ascii=False, separators=(",", ":")),
            revoked=False,
            revocation_reason=None,
            revoked_at=None,
            created_at=issuer.now,
        ),
    )


def ensure_one(
    conn: Connection, config: CredentialConfig, partner_id: int, record_id: str
) -> CredentialRecord:
    """The credential of one certified user certificate (404 unknown, 409 not certified)."""
    record = get_report(conn, partner_id=partner_id, record_id=record_id)
    if record.status != CERTIFIED or record.certified_at is None:
        raise Conflict("The user is not certified yet", code="NOT_CERTIFIED", args={"ID": record_id})
    return ensure(conn, config, partner_id, [record])[record.id]


def issued_values(credential: CredentialRecord, values: CertificateValues) -> CertificateValues:
    """A certificate PDF's values as the credential states them: its holder's name, credits and date (the
    credential is frozen when first issued; the live certificate and profile may have moved on since)."""
    document = json.loads(credential.document)
    subject = document.get("credentialSubject") or {}
    credits = subject.get("creditsEarned")
    holder = badge.summary(document).holder_name
    issued_on = str(document.get("validFrom") or "")[:10]
    return replace(
        values,
        user_full_name=holder or values.user_full_name,
        credits=float(credits) if isinstance(credits, int | float) else values.credits,
        certification_date=date.fromisoformat(issued_on) if issued_on else values.certification_date,
    )


def set_revoked(
    conn: Connection,
    config: CredentialConfig | None,
    *,
    partner_id: int,
    record_id: str,
    revoked: bool,
    reason: str | None,
) -> dict[str, Any]:
    """Revoke (or reinstate) a user certificate's credential: its status bit changes, the signed credential
    stays as issued. A credential issued for a user certificate that is gone since (its scores cleared, a rebuild
    that revoked the unearned) or no longer certified is still found by that id: it stays valid until revoked."""
    if config is None:
        raise Conflict(
            "Verifiable certificates are not configured (GAMESERVICES_CREDENTIAL_SECRET)",
            code="CREDENTIALS_DISABLED",
        )
    issued = repository.credentials_of(conn, partner_id, [record_id]).get(record_id)
    credential = issued if issued is not None else ensure_one(conn, config, partner_id, record_id)
    repository.set_revoked(
        conn, credential, revoked=revoked, reason=reason if revoked else None, now=_now_ms()
    )
    updated = repository.credential_by_public_id(conn, credential.public_id)
    return {
        "id": record_id,
        "objectType": "UserCertificateReport",
        **links(config, updated),
        "revocationReason": updated.revocation_reason if updated else None,
    }


def signing_key(conn: Connection, config: CredentialConfig, partner_id: int) -> IssuerKey:
    """The partner's issuer key, made (and stored) on first use."""
    stored = repository.issuer_key(conn, partner_id)
    if stored is not None:
        return stored
    fresh = keys.new_key(config.secret, _owner(partner_id))
    return repository.add_issuer_key(
        conn, partner_id, IssuerKey(fresh.public_key_multibase, fresh.sealed_private_key), now=_now_ms()
    )


def private_key(config: CredentialConfig, partner_id: int, key: IssuerKey) -> Ed25519PrivateKey:
    """The usable private half of a partner's stored key (409 when the configured secret cannot open it)."""
    try:
        return keys.private_key(
            keys.StoredKey(key.public_key, key.sealed_private_key), config.secret, _owner(partner_id)
        )
    except keys.KeyUnavailable as error:
        raise Conflict(
            "The credential signing key cannot be opened with the configured GAMESERVICES_CREDENTIAL_SECRET",
            code="CREDENTIAL_KEY_UNAVAILABLE",
        ) from error


def _signer(conn: Connection, config: CredentialConfig, partner_id: int) -> Ed25519PrivateKey:
    return private_key(config, partner_id, signing_key(conn, config, partner_id))


def _options(config: CredentialConfig, partner_id: int, now_ms: int) -> proof.ProofOptions:
    return proof.ProofOptions(config.key_id(partner_id), badge.timestamp(now_ms / 1000))


def _facts(
    issuer: _Issuer,
    record: CertificateRecord,
    definition: Any,
    profile: Any,
    public_id: str,
    status: badge.StatusEntry,
) -> badge.CertificateFacts:
    data = definition.data if definition is not None else {}
    profile_data = profile.data if profile is not None else {}
    full_name = profile_data.get("fullName") or " ".join(
        part for part in (profile_data.get("firstName"), profile_data.get("lastName")) if part
    )
    name = definition.name if definition is not None else "Certificate"
    return badge.CertificateFacts(
        credential_url=issuer.config.credential_url(public_id),
        issuer_url=issuer.config.issuer_url(issuer.partner_id),
        issuer_name=issuer.name,
        certificate_key=record.certificate_id,
        certificate_name=name,
        certificate_description=str(data.get("description") or ""),
        credits_available=float(data.get("certifiedCreditsThreshold") or 0),
        criteria_url=data.get("host") or None,
        holder_name=full_name or record.user_id,
        holder_email=profile.email if profile is not None else None,
        email_salt=secrets.token_hex(8),
        credits_earned=record.credits,
        valid_from=float(record.certified_at or 0),
        status=status,
    )


def _issuer_name(conn: Connection, partner_id: int) -> str:
    partner = partner_repository.get_partner(conn, partner_id)
    return partner.name if partner is not None else f"Partner {partner_id}"


def _owner(partner_id: int) -> str:
    return f"partner:{partner_id}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def issue_for(
    conn: Connection, config: CredentialConfig, partner_id: int, record_ids: Iterable[str]
) -> dict[str, CredentialRecord]:
    """``ensure`` for user certificates named by id (unknown ids are left out)."""
    records = [
        found
        for record_id in record_ids
        if (found := certificate_repository.certificate_by_id(conn, partner_id, record_id)) is not None
    ]
    return ensure(conn, config, partner_id, records)
