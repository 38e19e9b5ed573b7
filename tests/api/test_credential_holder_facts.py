"""What a certificate credential states, and only that: a verifier shows the facts the issuer signed (a document
bringing contexts of its own is refused: an inline context can alias signed terms so that the JSON says other than
what was signed, with the same RDF and signature); the PDF states what the credential its QR code verifies states;
the public routes answer 404 for ids no partner can have."""

import copy
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gameservices.credentials import badge, proof, status_list
from gameservices.credentials.multibase import public_key_multibase
from gameservices.credentials.verification import status_entries, verify_credential
from tests.conftest import Api

ISSUER = "https://certs.example.test/issuers/7"
OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"


def _signed(key: Ed25519PrivateKey) -> dict[str, Any]:
    facts = badge.CertificateFacts(
        credential_url="https://certs.example.test/credentials/abcdefghijklmnopqrstuv",
        issuer_url=ISSUER,
        issuer_name="Acme Learning",
        certificate_key="64b7f0c2a1b2c3d4e5f60718",
        certificate_name="CPE Certificate",
        certificate_description="Continuing Professional Education",
        credits_available=3,
        criteria_url=None,
        holder_name="Ann Lee",
        holder_email=None,
        email_salt="00",
        credits_earned=3,
        valid_from=1_748_858_400,
        status=badge.StatusEntry("https://certs.example.test/status/7/1", 5),
    )
    options = proof.ProofOptions(f"{ISSUER}#key-1", "2025-06-02T10:00:00Z")
    return proof.sign(badge.credential(facts), key, options)


def test_an_inline_context_aliasing_the_credits_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    multikey = public_key_multibase(key.public_key().public_bytes_raw())
    signed = _signed(key)
    assert verify_credential(signed, multikey).summary.credits == "3"  # type: ignore[union-attr]

    forged = copy.deepcopy(signed)
    # An inline context (nothing fetched): the real credits move to an alias of ob:creditsEarned, the JSON key
    # "creditsEarned" is mapped to null (dropped by JSON-LD), the subject's type is an alias of
    # AchievementSubject so that type's scoped context does not redefine the key. Same RDF, same signature.
    forged["@context"].append(
        {
            "Subject": OB + "AchievementSubject",
            "signedCredits": {
                "@id": OB + "creditsEarned",
                "@type": "https://www.w3.org/2001/XMLSchema#float",
            },
            "creditsEarned": None,
            "identifier": {"@id": OB + "identifier", "@container": "@set"},
            "achievement": {"@id": OB + "achievement"},
        }
    )
    subject = forged["credentialSubject"]
    subject["type"] = ["Subject"]
    subject["signedCredits"] = subject.pop("creditsEarned")
    subject["creditsEarned"] = 999

    verdict = verify_credential(forged, multikey)
    # Must not be reported valid with credits the issuer never signed.
    assert verdict.state == "invalid" and "@context" in verdict.checks[0], verdict


def test_public_routes_answer_404_for_ids_too_large_for_the_database(api: Api) -> None:
    # _NUMBER accepts up to 10 digits; the columns are 32-bit integers (PostgreSQL refuses 9999999999).
    for path in ("/status/9999999999/1", "/status/1/9999999999", "/issuers/9999999999"):
        response = api.client.get(path)
        assert response.status_code == 404, (path, response.status_code, response.text[:200])


def test_an_inline_context_aliasing_the_holder_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    multikey = public_key_multibase(key.public_key().public_bytes_raw())
    forged = copy.deepcopy(_signed(key))
    forged["@context"].append(
        {
            "IdObj": OB + "IdentityObject",
            "realHash": {"@id": OB + "identityHash"},
            "realKind": {"@id": OB + "identityType"},
            "realHashed": {"@id": OB + "hashed", "@type": "https://www.w3.org/2001/XMLSchema#boolean"},
            "identityHash": None,
            "identityType": None,
            "hashed": None,
        }
    )
    [item] = forged["credentialSubject"]["identifier"]
    forged["credentialSubject"]["identifier"] = [
        {
            "type": "IdObj",
            "realKind": "name",
            "realHashed": False,
            "realHash": item["identityHash"],
            "identityType": "name",
            "hashed": False,
            "identityHash": "Mallory Forger",
        }
    ]
    verdict = verify_credential(forged, multikey)
    assert verdict.state == "invalid" and "@context" in verdict.checks[0], verdict


def _revoked_list(key: Ed25519PrivateKey) -> dict[str, Any]:
    unsigned = status_list.status_list_credential(
        list_url="https://certs.example.test/status/7/1",
        issuer_url=ISSUER,
        revoked=[5],
        valid_from=1_748_858_400,
    )
    return proof.sign(unsigned, key, proof.ProofOptions(f"{ISSUER}#key-1", "2025-06-03T10:00:00Z"))


def test_a_revoked_credential_with_its_status_entry_in_an_array_is_still_revoked() -> None:
    # An array of one entry is the same RDF as the entry alone: the signature still holds, the bit still counts.
    key = Ed25519PrivateKey.generate()
    multikey = public_key_multibase(key.public_key().public_bytes_raw())
    signed = _signed(key)
    assert verify_credential(signed, multikey, _revoked_list(key)).state == "revoked"
    wrapped = copy.deepcopy(signed)
    wrapped["credentialStatus"] = [wrapped["credentialStatus"]]
    assert verify_credential(wrapped, multikey, _revoked_list(key)).state == "revoked"
    assert [entry["statusListIndex"] for entry in status_entries(wrapped) or []] == ["5"]
    odd = copy.deepcopy(signed)
    odd["credentialStatus"] = [odd["credentialStatus"], "https://certs.example.test/status/7/2"]
    assert verify_credential(odd, multikey, _revoked_list(key)).state == "invalid"
