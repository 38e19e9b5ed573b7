"""Credentials without the API: sign and verify, tampering, status lists, sealed keys, offline contexts, and a
check of our signatures by a verifier written here from the vc-di-eddsa procedure with pyld alone."""

import copy
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

from gameservices.credentials import badge, keys, proof, status_list
from gameservices.credentials.jsonld import BUNDLED_FILES, CONTEXT_DIRECTORY, UnknownContext, canonicalize
from gameservices.credentials.multibase import encode_base64url, public_key_multibase
from gameservices.credentials.verification import verify_credential

ISSUER = "https://certs.example.test/issuers/7"
LIST_URL = "https://certs.example.test/status/7/1"


def _facts(**changes: Any) -> badge.CertificateFacts:
    fields: dict[str, Any] = {
        "credential_url": "https://certs.example.test/credentials/abcdefghijklmnopqrstuv",
        "issuer_url": ISSUER,
        "issuer_name": "Acme Learning",
        "certificate_key": "64b7f0c2a1b2c3d4e5f60718",
        "certificate_name": "CPE Certificate",
        "certificate_description": "Continuing Professional Education",
        "credits_available": 3,
        "criteria_url": "https://mysite.events.example",
        "holder_name": "Zoë Ångström",
        "holder_email": "zoe@example.org",
        "email_salt": "0a1b2c3d",
        "credits_earned": 11.5,
        "valid_from": 1_748_858_400,
        "status": badge.StatusEntry(LIST_URL, 5),
    }
    fields.update(changes)
    return badge.CertificateFacts(**fields)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _sign(document: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    return proof.sign(document, key, proof.ProofOptions(f"{ISSUER}#key-1", "2025-06-02T10:00:00Z"))


def _multikey(key: Ed25519PrivateKey) -> str:
    return public_key_multibase(key.public_key().public_bytes_raw())


def _statuses(key: Ed25519PrivateKey, revoked: list[int]) -> dict[str, Any]:
    unsigned = status_list.status_list_credential(
        list_url=LIST_URL, issuer_url=ISSUER, revoked=revoked, valid_from=1_748_858_400
    )
    return _sign(unsigned, key)


def test_round_trip_valid_then_revoked(key: Ed25519PrivateKey) -> None:
    signed = _sign(badge.credential(_facts()), key)
    assert verify_credential(signed, _multikey(key), _statuses(key, [1, 4, 6])).state == "valid"
    assert verify_credential(signed, _multikey(key), _statuses(key, [5])).state == "revoked"
    other = Ed25519PrivateKey.generate()
    assert verify_credential(signed, _multikey(other)).state == "invalid"
    # A status list signed by another key is not believed.
    assert verify_credential(signed, _multikey(key), _statuses(other, [])).state == "invalid"


@pytest.mark.parametrize(
    "change",
    [
        {"credits_earned": 12},
        {"holder_name": "Zoe Angstrom"},
        {"valid_from": 1_748_858_401},
        {"certificate_name": "CPE"},
        {"status": badge.StatusEntry(LIST_URL, 6)},
    ],
)
def test_any_change_breaks_the_signature(key: Ed25519PrivateKey, change: dict[str, Any]) -> None:
    signed = _sign(badge.credential(_facts()), key)
    forged = badge.credential(_facts(**change))
    forged["proof"] = signed["proof"]
    assert verify_credential(forged, _multikey(key)).state == "invalid"


def test_extra_or_removed_members_break_the_signature(key: Ed25519PrivateKey) -> None:
    signed = _sign(badge.credential(_facts()), key)
    added = copy.deepcopy(signed)
    added["credentialSubject"]["narrative"] = "extra"
    removed = copy.deepcopy(signed)
    del removed["credentialStatus"]
    for forged in (added, removed):
        assert not proof.verify(forged, keys.public_key(_multikey(key)))


def test_unknown_contexts_are_never_fetched(key: Ed25519PrivateKey) -> None:
    document = badge.credential(_facts())
    document["@context"].append("https://attacker.example/context.jsonld")
    with pytest.raises(UnknownContext, match=r"attacker\.example"):
        canonicalize(document)
    signed = _sign(badge.credential(_facts()), key)
    signed["@context"].append("https://attacker.example/context.jsonld")
    verdict = verify_credential(signed, _multikey(key))
    assert verdict.state == "invalid" and "@context" in verdict.checks[0]  # (not the issuer's contexts)


def test_status_list_bits() -> None:
    encoded = status_list.encode([0, 9, status_list.LIST_SIZE - 1])
    assert encoded.startswith("u")
    assert [status_list.is_set(encoded, i) for i in (0, 1, 8, 9, status_list.LIST_SIZE - 1)] == [
        True,
        False,
        False,
        True,
        True,
    ]
    with pytest.raises(ValueError, match="outside"):
        status_list.encode([status_list.LIST_SIZE])


def test_a_signed_status_list_whose_bits_do_not_decompress_is_invalid(key: Ed25519PrivateKey) -> None:
    signed = _sign(badge.credential(_facts()), key)
    compressed = gzip.compress(bytes(status_list.LIST_SIZE // 8), mtime=0)
    # A GZIP header, then a deflate stream that is not one.
    broken = compressed[:10] + b"\xff" * 16 + compressed[26:]
    unsigned = status_list.status_list_credential(
        list_url=LIST_URL, issuer_url=ISSUER, revoked=[], valid_from=1_748_858_400
    )
    unsigned["credentialSubject"]["encodedList"] = encode_base64url(broken)
    verdict = verify_credential(signed, _multikey(key), _sign(unsigned, key))
    assert verdict.state == "invalid" and "encodedList" in verdict.checks[-1]


def test_a_status_list_shorter_than_the_minimum_is_invalid(key: Ed25519PrivateKey) -> None:
    # Fewer than 131,072 entries gives the holders too small a crowd: STATUS_LIST_LENGTH_ERROR.
    signed = _sign(badge.credential(_facts()), key)
    unsigned = status_list.status_list_credential(
        list_url=LIST_URL, issuer_url=ISSUER, revoked=[], valid_from=1_748_858_400
    )
    unsigned["credentialSubject"]["encodedList"] = status_list.encode([], size=status_list.LIST_SIZE // 2)
    verdict = verify_credential(signed, _multikey(key), _sign(unsigned, key))
    assert verdict.state == "invalid" and "131072" in verdict.checks[-1]


def test_sealed_keys_open_only_with_their_secret_and_owner() -> None:
    stored = keys.new_key("secret one", "partner:1")
    private = keys.private_key(stored, "secret one", "partner:1")
    assert public_key_multibase(private.public_key().public_bytes_raw()) == stored.public_key_multibase
    assert stored.public_key_multibase.startswith("z6Mk")
    for secret, owner in (("secret two", "partner:1"), ("secret one", "partner:2")):
        with pytest.raises(keys.KeyUnavailable):
            keys.private_key(stored, secret, owner)


# An independent check, written from the vc-di-eddsa specification with pyld, hashlib and cryptography only
# (none of gameservices.credentials' code): base58, context loading and the hashing steps are all its own.
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + raw


def _independent_verify(document: dict[str, Any], public_key_multibase: str) -> bool:
    contexts = {
        url: json.loads(Path(CONTEXT_DIRECTORY, name).read_text()) for url, name in BUNDLED_FILES.items()
    }

    def loader(url: str, _options: Any) -> dict[str, Any]:
        return {"contextUrl": None, "documentUrl": url, "document": contexts[url]}

    def canon(value: dict[str, Any]) -> bytes:
        options = {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader}
        return str(jsonld.normalize(value, options)).encode()

    body = {name: value for name, value in document.items() if name != "proof"}
    config = {name: value for name, value in document["proof"].items() if name != "proofValue"}
    config["@context"] = document["@context"]
    data = hashlib.sha256(canon(config)).digest() + hashlib.sha256(canon(body)).digest()
    raw_key = _b58decode(public_key_multibase[1:])
    assert raw_key[:2] == b"\xed\x01"
    signature = _b58decode(document["proof"]["proofValue"][1:])
    try:
        Ed25519PublicKey.from_public_bytes(raw_key[2:]).verify(signature, data)
    except InvalidSignature:
        return False
    return True


def test_an_independent_verifier_accepts_our_credentials_and_status_lists(key: Ed25519PrivateKey) -> None:
    signed = _sign(badge.credential(_facts()), key)
    assert _independent_verify(signed, _multikey(key))
    assert _independent_verify(_statuses(key, [5]), _multikey(key))
    signed["credentialSubject"]["creditsEarned"] = 1
    assert not _independent_verify(signed, _multikey(key))


def test_signing_and_verifying_never_use_pyld_default_loader(
    key: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(url: str, _options: Any) -> dict[str, Any]:
        raise AssertionError(f"fetched {url}")

    monkeypatch.setattr(jsonld, "_default_document_loader", no_network)
    signed = _sign(badge.credential(_facts()), key)
    assert verify_credential(signed, _multikey(key), _statuses(key, [])).state == "valid"
