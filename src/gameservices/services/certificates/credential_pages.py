"""What the public credential routes answer: a credential, its verify page, a status list, an issuer.

No KS: a credential is found only by its unguessable public id; status lists and issuer profiles carry
nothing but revocation bits and the public key.
"""

import json
from dataclasses import dataclass
from typing import Any

from gameservices.credentials import proof, status_list
from gameservices.credentials.jsonld import CID_V1, OB_V3, VC_V2
from gameservices.credentials.verification import Verdict, verify_credential
from gameservices.services.certificates.credentials import CredentialConfig, private_key
from gameservices.storage import credentials as repository
from gameservices.storage import partners as partner_repository
from gameservices.storage.database import Connection


@dataclass(frozen=True)
class VerifyPage:
    """A verify page: the verdict on a stored credential and where to find it and its issuer."""

    verdict: Verdict
    credential_url: str
    issuer_url: str


def credential_document(conn: Connection, public_id: str) -> str | None:
    """The signed credential exactly as issued, or None."""
    record = repository.credential_by_public_id(conn, public_id)
    return None if record is None else record.document


def status_list_document(
    conn: Connection, config: CredentialConfig, partner_id: int, list_id: int
) -> dict[str, Any] | None:
    """The signed BitstringStatusListCredential of one of a partner's lists, or None."""
    key = repository.issuer_key(conn, partner_id)
    found = repository.status_list(conn, partner_id, list_id)
    if key is None or found is None:
        return None
    changed_ms, revoked = found
    unsigned = status_list.status_list_credential(
        list_url=config.status_url(partner_id, list_id),
        issuer_url=config.issuer_url(partner_id),
        revoked=revoked,
        valid_from=changed_ms / 1000,
    )
    options = proof.ProofOptions(config.key_id(partner_id), unsigned["validFrom"])
    return proof.sign(unsigned, private_key(config, partner_id, key), options)


def issuer_document(conn: Connection, config: CredentialConfig, partner_id: int) -> dict[str, Any] | None:
    """The partner's issuer profile with its Multikey verification method, once it has a key."""
    key = repository.issuer_key(conn, partner_id)
    partner = partner_repository.get_partner(conn, partner_id)
    if key is None or partner is None:
        return None
    issuer = config.issuer_url(partner_id)
    return {
        # The CID context defines verificationMethod and assertionMethod where the document is (the VC context
        # only inside a proof): without it a JSON-LD processor drops the key.
        "@context": [VC_V2, OB_V3, CID_V1],
        "id": issuer,
        "type": ["Profile"],
        "name": partner.name,
        "verificationMethod": [
            {
                "id": config.key_id(partner_id),
                "type": "Multikey",
                "controller": issuer,
                "publicKeyMultibase": key.public_key,
            }
        ],
        "assertionMethod": [config.key_id(partner_id)],
    }


def verify_page(conn: Connection, config: CredentialConfig, public_id: str) -> VerifyPage | None:
    """The verdict on a stored credential, checked as any verifier would (proof, then status list)."""
    record = repository.credential_by_public_id(conn, public_id)
    if record is None:
        return None
    key = repository.issuer_key(conn, record.partner_id)
    if key is None:
        return None
    statuses = status_list_document(conn, config, record.partner_id, record.list_id)
    verdict = verify_credential(json.loads(record.document), key.public_key, statuses)
    return VerifyPage(verdict, config.credential_url(public_id), config.issuer_url(record.partner_id))
