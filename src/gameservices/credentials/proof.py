"""Data Integrity ``eddsa-rdfc-2022`` proofs (W3C vc-di-eddsa): create and verify.

hashData = SHA-256(canonical proof options) || SHA-256(canonical document without its proof); the proof
value is the base58btc multibase of the Ed25519 signature of hashData. The proof options are the proof
without ``proofValue``, given the document's ``@context``.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gameservices.credentials.jsonld import DocumentLoader, canonicalize
from gameservices.credentials.multibase import MultibaseError, decode_base58btc, encode_base58btc

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"


@dataclass(frozen=True, slots=True)
class ProofOptions:
    """What a new proof states besides its value."""

    verification_method: str
    created: str
    proof_purpose: str = "assertionMethod"

    def as_json(self) -> dict[str, Any]:
        """The proof's members, without ``proofValue``."""
        return {
            "type": PROOF_TYPE,
            "cryptosuite": CRYPTOSUITE,
            "created": self.created,
            "verificationMethod": self.verification_method,
            "proofPurpose": self.proof_purpose,
        }


class ProofError(ValueError):
    """A proof that is absent, malformed or of another kind."""


def hash_data(
    document: Mapping[str, Any], proof_config: Mapping[str, Any], loader: DocumentLoader | None = None
) -> bytes:
    """The 64 bytes signed: SHA-256 of the canonical proof configuration then of the canonical document."""
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    config = {key: value for key, value in proof_config.items() if key != "proofValue"}
    config["@context"] = document.get("@context")
    proof_hash = hashlib.sha256(canonicalize(config, loader).encode("utf-8")).digest()
    document_hash = hashlib.sha256(canonicalize(unsecured, loader).encode("utf-8")).digest()
    return proof_hash + document_hash


def sign(
    document: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    options: ProofOptions,
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """The document with an ``eddsa-rdfc-2022`` proof added."""
    proof = options.as_json()
    signature = private_key.sign(hash_data(document, proof, loader))
    proof["proofValue"] = encode_base58btc(signature)
    return {**{key: value for key, value in document.items() if key != "proof"}, "proof": proof}


def proof_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document's single ``eddsa-rdfc-2022`` proof, or ProofError."""
    proof = document.get("proof")
    if not isinstance(proof, dict):
        raise ProofError("the document has no single proof")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"the proof is not a {PROOF_TYPE} with cryptosuite {CRYPTOSUITE}")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("the proof's purpose is not assertionMethod")
    if not isinstance(proof.get("proofValue"), str) or not isinstance(proof.get("verificationMethod"), str):
        raise ProofError("the proof has no proofValue or verificationMethod")
    return proof


def verify(
    document: Mapping[str, Any], public_key: Ed25519PublicKey, loader: DocumentLoader | None = None
) -> bool:
    """Whether the document's proof is a valid signature by ``public_key`` of exactly this document."""
    proof = proof_of(document)
    try:
        signature = decode_base58btc(proof["proofValue"])
    except MultibaseError as error:
        raise ProofError("the proofValue is not base58btc") from error
    try:
        public_key.verify(signature, hash_data(document, proof, loader))
    except InvalidSignature:
        return False
    return True
