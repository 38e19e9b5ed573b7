"""The Open Badges 3.0 ``OpenBadgeCredential`` (W3C VC Data Model 2.0) of one user certificate, unsigned."""

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gameservices.credentials.jsonld import OB_V3, VC_V2

CONTEXT = [VC_V2, OB_V3]


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """Where the credential's revocation bit lives: a status list credential URL and an index in it."""

    list_url: str
    index: int

    def as_json(self) -> dict[str, Any]:
        """The ``credentialStatus`` member (a BitstringStatusListEntry)."""
        return {
            "id": f"{self.list_url}#{self.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(self.index),
            "statusListCredential": self.list_url,
        }


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What a credential states: the issuer, the certificate (achievement), the holder and the result."""

    credential_url: str
    issuer_url: str
    issuer_name: str
    certificate_key: str
    certificate_name: str
    certificate_description: str
    credits_available: float
    criteria_url: str | None
    holder_name: str
    holder_email: str | None
    email_salt: str
    credits_earned: float
    valid_from: float
    status: StatusEntry


def timestamp(seconds: float) -> str:
    """An XML Schema dateTime in UTC, to the second (``2026-01-31T12:00:00Z``)."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_number(value: float) -> int | float:
    """A number as every JSON-LD processor reads it alike: an integral value without a fraction."""
    return int(value) if float(value).is_integer() else float(value)


def email_hash(email: str, salt: str) -> str:
    """The Open Badges identity hash of an e-mail address: ``sha256$`` + hex SHA-256(address + salt)."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def credential(facts: CertificateFacts) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential of a certificate."""
    return {
        "@context": list(CONTEXT),
        "id": facts.credential_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": facts.certificate_name,
        "issuer": {"id": facts.issuer_url, "type": ["Profile"], "name": facts.issuer_name},
        "validFrom": timestamp(facts.valid_from),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": _identifiers(facts),
            "creditsEarned": json_number(facts.credits_earned),
            "achievement": _achievement(facts),
        },
        "credentialStatus": facts.status.as_json(),
    }


def _achievement(facts: CertificateFacts) -> dict[str, Any]:
    criteria: dict[str, Any] = {
        "narrative": f"Earn at least {_credits_text(facts.credits_available)} credits."
    }
    if facts.criteria_url:
        criteria["id"] = facts.criteria_url
    return {
        # A stable, opaque id: the certificate's key hashed under the issuer's URL.
        "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{facts.issuer_url}#{facts.certificate_key}").urn,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": facts.certificate_name,
        "description": facts.certificate_description or facts.certificate_name,
        "criteria": criteria,
        "creditsAvailable": json_number(facts.credits_available),
    }


def _identifiers(facts: CertificateFacts) -> list[dict[str, Any]]:
    identifiers = [
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": facts.holder_name,
        }
    ]
    if facts.holder_email:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash": email_hash(facts.holder_email, facts.email_salt),
                "salt": facts.email_salt,
            }
        )
    return identifiers


def _credits_text(value: float) -> str:
    return f"{round(value, 2) + 0.0:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True, slots=True)
class Summary:
    """What a person reads off a credential: holder, certificate, credits, date, issuer."""

    holder_name: str
    certificate_name: str
    credits: str
    date: str
    issuer_name: str


def summary(document: Mapping[str, Any]) -> Summary:
    """The human-readable facts of an OpenBadgeCredential (empty strings for what it lacks)."""
    subject = document.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement") if isinstance(subject.get("achievement"), dict) else {}
    issuer = document.get("issuer") if isinstance(document.get("issuer"), dict) else {}
    holder = ""
    for item in subject.get("identifier") or []:
        if isinstance(item, dict) and item.get("identityType") == "name" and not item.get("hashed"):
            holder = str(item.get("identityHash") or "")
    credits = subject.get("creditsEarned")
    return Summary(
        holder_name=holder,
        certificate_name=str((achievement or {}).get("name") or document.get("name") or ""),
        credits="" if not isinstance(credits, int | float) else _credits_text(float(credits)),
        date=str(document.get("validFrom") or "")[:10],
        issuer_name=str((issuer or {}).get("name") or ""),
    )
