"""Issuer keys: Ed25519 key pairs, the private key kept encrypted (AES-256-GCM) under a key from settings."""

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gameservices.credentials.multibase import public_key_bytes, public_key_multibase

_VERSION = "v1"
_INFO = b"gameservices credential issuer keys"


class KeyUnavailable(ValueError):
    """A stored private key that the configured secret cannot decrypt."""


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A key pair as stored: the public key as a Multikey, the private key sealed."""

    public_key_multibase: str
    sealed_private_key: str


def new_key(secret: str, owner: str) -> StoredKey:
    """A fresh Ed25519 key pair, its private half sealed for ``owner`` (e.g. ``partner:12``)."""
    private = Ed25519PrivateKey.generate()
    raw_public = private.public_key().public_bytes_raw()
    return StoredKey(public_key_multibase(raw_public), seal(private.private_bytes_raw(), secret, owner))


def seal(private_bytes: bytes, secret: str, owner: str) -> str:
    """``v1:`` + base64(nonce || AES-GCM ciphertext); the owner is bound as associated data."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key(secret)).encrypt(nonce, private_bytes, owner.encode("utf-8"))
    return f"{_VERSION}:" + base64.b64encode(nonce + sealed).decode("ascii")


def private_key(stored: StoredKey, secret: str, owner: str) -> Ed25519PrivateKey:
    """The usable private key of a stored pair (KeyUnavailable when the secret or owner does not match)."""
    version, _, body = stored.sealed_private_key.partition(":")
    if version != _VERSION:
        raise KeyUnavailable("unknown private key format")
    data = base64.b64decode(body)
    try:
        raw = AESGCM(_key(secret)).decrypt(data[:12], data[12:], owner.encode("utf-8"))
    except InvalidTag as error:
        raise KeyUnavailable("the credential secret does not open this private key") from error
    key = Ed25519PrivateKey.from_private_bytes(raw)
    if public_key_multibase(key.public_key().public_bytes_raw()) != stored.public_key_multibase:
        raise KeyUnavailable("the private key does not match its public key")
    return key


def public_key(multikey: str) -> Ed25519PublicKey:
    """The Ed25519 public key of a ``publicKeyMultibase`` value."""
    return Ed25519PublicKey.from_public_bytes(public_key_bytes(multikey))


def _key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode("utf-8"))
