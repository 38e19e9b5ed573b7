"""Verifying a certificate credential: its proof by the issuer's key, then its revocation bit.

The public verify page and ``gameservices credential verify`` both call ``verify_credential``.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from gameservices.credentials import keys, proof
from gameservices.credentials.badge import Summary, summary
from gameservices.credentials.jsonld import OB_V3, VC_V2, UnknownContext
from gameservices.credentials.multibase import MultibaseError
from gameservices.credentials.status_list import StatusListError, revoked_in

State = Literal["valid", "revoked", "invalid", "not-yet-valid"]


@dataclass(frozen=True)
class Verdict:
    """The outcome: ``valid``, ``revoked`` (genuine but withdrawn), ``not-yet-valid`` (genuine, not revoked, but
    its ``validFrom`` is still to come: ``valid_from`` says when) or ``invalid``, with what was checked."""

    state: State
    summary: Summary | None
    checks: list[str] = field(default_factory=list)
    status_checked: bool = False
    valid_from: str = ""


def verify_credential(
    document: Mapping[str, Any],
    public_key_multibase: str,
    status_list: Mapping[str, Any] | None = None,
    *,
    now: float | None = None,
) -> Verdict:
    """Check the proof of ``document`` with the issuer's key, then its status in ``status_list`` (when given),
    then that its ``validFrom`` (when it has one) is not after ``now`` (default: the current time).

    The status list must be signed by the same key; without one, a valid credential says its status was not
    checked. A genuine credential whose validFrom is to come is ``not-yet-valid``, as standard verifiers answer
    (a revoked one stays ``revoked``).
    """
    verdict = _proof_and_status(document, public_key_multibase, status_list)
    if verdict.state != "valid" or "validFrom" not in document:
        return verdict
    text = document["validFrom"]
    start = _date_time(text)
    if start is None:
        return replace(
            verdict, state="invalid", checks=[*verdict.checks, "validity: validFrom is not a date-time"]
        )
    if start > (time.time() if now is None else now):
        check = f"validity: not yet valid (valid from {text})"
        return replace(verdict, state="not-yet-valid", checks=[*verdict.checks, check], valid_from=text)
    return verdict


def _date_time(value: object) -> float | None:
    """The seconds of an XML Schema dateTime (one without a time zone read as UTC), or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _proof_and_status(
    document: Mapping[str, Any], public_key_multibase: str, status_list: Mapping[str, Any] | None
) -> Verdict:
    checks: list[str] = []
    problem = _proof_problem(document, public_key_multibase)
    if problem:
        return Verdict("invalid", None, [problem])
    checks.append("proof: eddsa-rdfc-2022 signature by the issuer's key is valid")
    info = summary(document)
    entries = status_entries(document)
    if entries is None:
        return Verdict(
            "invalid", info, [*checks, "status: the credentialStatus is not an entry or a list of them"]
        )
    if not entries:
        checks.append("status: the credential has no revocation status")
        return Verdict("valid", info, checks, status_checked=True)
    if status_list is None:
        checks.append("status: not checked (no status list given)")
        return Verdict("valid", info, checks)
    problem = _proof_problem(status_list, public_key_multibase)
    if problem:
        return Verdict("invalid", info, [*checks, f"status list: {problem}"])
    try:
        # Each entry is read (one the list cannot answer fails the whole), then any set bit revokes.
        bits = [revoked_in(status_list, entry) for entry in entries]
        revoked = any(bits)
    except StatusListError as error:
        return Verdict("invalid", info, [*checks, f"status list: {error}"])
    if revoked:
        return Verdict("revoked", info, [*checks, "status: revoked by the issuer"], status_checked=True)
    return Verdict("valid", info, [*checks, "status: not revoked"], status_checked=True)


def status_entries(document: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The credential's ``credentialStatus`` entries: one object, or an array of them (the same RDF, so the same
    signature: an entry wrapped in an array still counts); None when it is neither."""
    value = document.get("credentialStatus")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return items if all(isinstance(item, dict) for item in items) else None


def _proof_problem(document: Mapping[str, Any], public_key_multibase: str) -> str | None:
    context_problem = _context_problem(document)
    if context_problem:
        return context_problem
    try:
        found = proof.proof_of(document)
        issuer = document.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        if not isinstance(issuer_id, str) or not found["verificationMethod"].startswith(issuer_id + "#"):
            return "the proof's verification method is not the issuer's"
        if not proof.verify(document, keys.public_key(public_key_multibase)):
            return "the signature does not match the document (changed, or signed by another key)"
    except (proof.ProofError, MultibaseError, UnknownContext, ValueError) as error:
        return str(error)
    return None


# The contexts the issuer signs with, exactly: a document that brings its own (an inline context can alias a
# signed term so that the JSON says other than what was signed, with the same RDF and signature) is refused.
_SIGNED_CONTEXTS = ([VC_V2, OB_V3], [VC_V2])


def _context_problem(document: Mapping[str, Any]) -> str | None:
    if document.get("@context") not in _SIGNED_CONTEXTS:
        return "the document's @context is not the issuer's (exactly the bundled contexts it signs with)"
    if _nested_context(document, top=True):
        return "the document carries a @context of its own inside it"
    return None


def _nested_context(value: Any, *, top: bool = False) -> bool:
    if isinstance(value, dict):
        return any((key == "@context" and not top) or _nested_context(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_nested_context(item) for item in value)
    return False
