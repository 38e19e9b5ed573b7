"""Multibase and Multikey encodings of Ed25519 keys and signatures (base58btc ``z``, base64url ``u``)."""

import base64

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: index for index, char in enumerate(_ALPHABET)}
# Multicodec prefixes (varint encoded): ed25519-pub 0xed, ed25519-priv 0x1300.
ED25519_PUBLIC_PREFIX = b"\xed\x01"
ED25519_PRIVATE_PREFIX = b"\x80\x26"


class MultibaseError(ValueError):
    """A value that is not the multibase encoding expected."""


def base58_encode(data: bytes) -> str:
    """Bitcoin base58 of ``data`` (leading zero bytes become ``1``)."""
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_ALPHABET[remainder])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def base58_decode(text: str) -> bytes:
    """The bytes of a base58 (Bitcoin alphabet) text."""
    number = 0
    for char in text:
        if char not in _INDEX:
            raise MultibaseError(f"not base58: {char!r}")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def encode_base58btc(data: bytes) -> str:
    """Multibase base58btc: ``z`` + base58."""
    return "z" + base58_encode(data)


def decode_base58btc(text: str) -> bytes:
    """The bytes of a multibase base58btc value."""
    if not text.startswith("z"):
        raise MultibaseError("a base58btc multibase value starts with 'z'")
    return base58_decode(text[1:])


def encode_base64url(data: bytes) -> str:
    """Multibase base64url without padding: ``u`` + base64url."""
    return "u" + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_base64url(text: str) -> bytes:
    """The bytes of a multibase base64url value."""
    if not text.startswith("u"):
        raise MultibaseError("a base64url multibase value starts with 'u'")
    body = text[1:]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as error:
        raise MultibaseError("not base64url") from error


def public_key_multibase(raw: bytes) -> str:
    """A raw 32-byte Ed25519 public key as a Multikey ``publicKeyMultibase`` (``z6Mk...``)."""
    return encode_base58btc(ED25519_PUBLIC_PREFIX + raw)


def public_key_bytes(multikey: str) -> bytes:
    """The raw 32-byte Ed25519 public key of a ``publicKeyMultibase`` value."""
    data = decode_base58btc(multikey)
    if not data.startswith(ED25519_PUBLIC_PREFIX) or len(data) != 34:
        raise MultibaseError("not an Ed25519 public key (Multikey z6Mk...)")
    return data[2:]


def private_key_bytes(multikey: str) -> bytes:
    """The raw 32-byte Ed25519 private key (seed) of a ``secretKeyMultibase`` value."""
    data = decode_base58btc(multikey)
    if not data.startswith(ED25519_PRIVATE_PREFIX) or len(data) != 34:
        raise MultibaseError("not an Ed25519 private key (Multikey z3u2...)")
    return data[2:]
