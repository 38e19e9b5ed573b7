"""The byte layout of KS v1 and v2: base64 as the Kaltura server decodes it, the v2 AES envelope, v1 signing.

Functions here return None for anything unreadable; `ks` turns that into the Kaltura error the caller sees.
"""

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

RANDOM_SIZE = 16
_SHA1_SIZE = 20
_AES_BLOCK = 16
_AES_KEY_SIZE = 16
# A zero IV is what the format fixes; the random R at the start of every v2 payload makes up for it.
_AES_IV = bytes(_AES_BLOCK)
_V2_PREFIX = b"v2|"
_BASE64_BODY = re.compile(r"[A-Za-z0-9+/]*")
# At most 18 digits keeps every value a 64-bit integer and stays far from Python's int() length limit.
# Partner ids must be canonical, so that no two spellings name the same partner.
_PARTNER_ID = re.compile(r"0|[1-9][0-9]{0,17}")
_SIGNED = re.compile(r"-?[0-9]{1,18}")


@dataclass(frozen=True)
class Envelope:
    """A decoded, unverified KS: version, the partner it names, the protected body and (v1) the signature."""

    version: int
    partner_id: int
    body: bytes
    signature: bytes = b""


def open_envelope(ks: str) -> Envelope | None:
    """Split a KS string into its envelope, or None when it is not a readable KS v1 or v2."""
    decoded = decode_base64(ks)
    if not decoded:
        return None
    if decoded.startswith(_V2_PREFIX):
        pieces = decoded.split(b"|", 2)
        if len(pieces) != 3:
            return None
        partner_id = _parse_partner_id(pieces[1])
        return None if partner_id is None else Envelope(2, partner_id, pieces[2])
    signature, separator, info = decoded.partition(b"|")
    parts = info.split(b";")
    if not separator or len(parts) < 3:
        return None
    partner_id = _parse_partner_id(parts[0])
    return None if partner_id is None else Envelope(1, partner_id, info, signature)


def decode_base64(text: str) -> bytes | None:
    """Decode standard or urlsafe base64 as PHP's strict base64_decode does, or None if it is not base64."""
    if not text.isascii():
        return None
    text = text.replace("-", "+").replace("_", "/")
    body = text.rstrip("=")
    padding = len(text) - len(body)
    if not _BASE64_BODY.fullmatch(body) or len(body) % 4 == 1:
        return None
    # Padding is optional, but when present it must complete the last group.
    if padding and (padding > 2 or (len(body) + padding) % 4):
        return None
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except binascii.Error:
        return None


def canonical(ks: str) -> str:
    """The one spelling of a KS's bytes: the decoder reads a KS without its padding, in either base64 alphabet
    or with other bits after its last byte alike, so whatever names a KS (an ended one) must name its bytes.
    The spelling is the one KSs are minted in (v2 urlsafe, v1 standard base64, both padded); text that is not
    base64 is its own spelling."""
    decoded = decode_base64(ks)
    if decoded is None:
        return ks
    encode = base64.urlsafe_b64encode if decoded.startswith(_V2_PREFIX) else base64.b64encode
    return encode(decoded).decode("ascii")


def parse_int(text: str) -> int | None:
    """A decimal integer field of a KS (expiry, type), or None when the text is not one."""
    return int(text) if _SIGNED.fullmatch(text) else None


def _parse_partner_id(data: bytes) -> int | None:
    text = data.decode("latin-1")
    return int(text) if _PARTNER_ID.fullmatch(text) else None


def unseal_v2(ciphertext: bytes, secret: bytes) -> bytes | None:
    """Decrypt a v2 body with one secret; the signed payload R + F when its SHA-1 matches, else None."""
    if not ciphertext or len(ciphertext) % _AES_BLOCK:
        return None
    decryptor = _cipher(secret).decryptor()
    # Zero padding cannot be told apart from trailing zero bytes; the server strips them all, and so do we.
    plain = (decryptor.update(ciphertext) + decryptor.finalize()).rstrip(b"\0")
    digest, payload = plain[:_SHA1_SIZE], plain[_SHA1_SIZE:]
    if not hmac.compare_digest(digest, hashlib.sha1(payload).digest()):
        return None
    return payload


def seal_v2(partner_id: int, secret: bytes, payload: bytes) -> str:
    """Encrypt a v2 payload R + F under `secret` and encode the whole KS string."""
    plain = hashlib.sha1(payload).digest() + payload
    plain += bytes(-len(plain) % _AES_BLOCK)
    encryptor = _cipher(secret).encryptor()
    ciphertext = encryptor.update(plain) + encryptor.finalize()
    return base64.urlsafe_b64encode(b"v2|%d|" % partner_id + ciphertext).decode("ascii")


def sign_v1(secret: bytes, info: bytes) -> str:
    """Sign a v1 info string and encode the whole KS string."""
    signature = hashlib.sha1(secret + info).hexdigest().encode("ascii")
    return base64.b64encode(signature + b"|" + info).decode("ascii")


def is_signed_v1(envelope: Envelope, secret: bytes) -> bool:
    """Whether a v1 envelope carries the signature `secret` gives its info (compared in constant time)."""
    expected = hashlib.sha1(secret + envelope.body).hexdigest().encode("ascii")
    return hmac.compare_digest(expected, envelope.signature)


def parse_v2_fields(payload: bytes) -> dict[str, str] | None:
    """The query-string fields after the random prefix of a v2 payload, or None when they are not UTF-8 text.

    Read like PHP's parse_str for the flat keys a KS holds: `+` and %-escapes decoded, a key without `=` has
    an empty value, empty keys are skipped and a repeated key keeps its first position with its last value.
    """
    fields: dict[str, str] = {}
    for piece in payload[RANDOM_SIZE:].split(b"&"):
        raw_name, _, raw_value = piece.partition(b"=")
        try:
            name = _unquote_plus(raw_name)
            value = _unquote_plus(raw_value)
        except UnicodeDecodeError:
            return None
        if name:
            fields[name] = value
    return fields


def _unquote_plus(data: bytes) -> str:
    return unquote_to_bytes(data.replace(b"+", b" ")).decode()


def _cipher(secret: bytes) -> Cipher[modes.CBC]:
    key = hashlib.sha1(secret).digest()[:_AES_KEY_SIZE]
    return Cipher(algorithms.AES(key), modes.CBC(_AES_IV))
