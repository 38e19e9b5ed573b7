"""The W3C vc-di-eddsa ``eddsa-rdfc-2022`` test vector, reproduced byte for byte with the bundled contexts.

Vectors: w3c/vc-di-eddsa, TestVectors/ (keyPair.json, unsigned.json) and TestVectors/eddsa-rdfc-2022/.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gameservices.credentials import proof
from gameservices.credentials.jsonld import canonicalize, offline_loader
from gameservices.credentials.multibase import (
    encode_base58btc,
    private_key_bytes,
    public_key_bytes,
    public_key_multibase,
)

VECTORS = Path(__file__).resolve().parent / "vectors"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
LOADER = offline_loader({EXAMPLES_V2: json.loads((VECTORS / "credentials-examples-v2.jsonld").read_text())})


def _text(name: str) -> str:
    return (VECTORS / name).read_text(encoding="utf-8")


def _json(name: str) -> Any:
    return json.loads(_text(name))


def _keys() -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    pair = _json("keyPair.json")
    private = Ed25519PrivateKey.from_private_bytes(private_key_bytes(pair["privateKeyMultibase"]))
    public = Ed25519PublicKey.from_public_bytes(public_key_bytes(pair["publicKeyMultibase"]))
    return private, public


def test_the_key_pair_decodes_to_one_ed25519_key() -> None:
    private, public = _keys()
    raw = private.public_key().public_bytes_raw()
    assert raw == public.public_bytes_raw()
    assert public_key_multibase(raw) == _json("keyPair.json")["publicKeyMultibase"]


def test_canonical_document_and_its_hash() -> None:
    canonical = canonicalize(_json("unsigned.json"), LOADER)
    assert canonical == _text("canonDocDataInt.txt")
    assert hashlib.sha256(canonical.encode()).hexdigest() == _text("docHashDataInt.txt").strip()


def test_canonical_proof_configuration_and_its_hash() -> None:
    canonical = canonicalize(_json("proofConfigDataInt.json"), LOADER)
    assert canonical == _text("proofCanonDataInt.txt")
    assert hashlib.sha256(canonical.encode()).hexdigest() == _text("proofHashDataInt.txt").strip()


def test_hash_data_signature_and_proof_value() -> None:
    private, _ = _keys()
    config = _json("proofConfigDataInt.json")
    combined = proof.hash_data(_json("unsigned.json"), config, LOADER)
    assert combined.hex() == _text("combinedHashDataInt.txt").strip()
    signature = private.sign(combined)
    assert signature.hex() == _text("sigHexDataInt.txt").strip()
    assert encode_base58btc(signature) == _text("sigBTC58DataInt.txt").strip()


def test_signing_the_unsigned_credential_gives_the_signed_one() -> None:
    private, public = _keys()
    config = _json("proofConfigDataInt.json")
    options = proof.ProofOptions(verification_method=config["verificationMethod"], created=config["created"])
    signed = proof.sign(_json("unsigned.json"), private, options, LOADER)
    assert signed == _json("signedDataInt.json")
    assert proof.verify(signed, public, LOADER)


def test_the_signed_vector_verifies_and_a_changed_one_does_not() -> None:
    _, public = _keys()
    signed = _json("signedDataInt.json")
    assert proof.verify(signed, public, LOADER)
    signed["credentialSubject"]["alumniOf"] = "Another School"
    assert not proof.verify(signed, public, LOADER)
