"""Bitstring Status List (W3C): the revocation bits of a partner's credentials, published as a credential.

Bit ``i`` is bit ``i % 8`` counted from the most significant bit of byte ``i // 8``; the list is GZIP
compressed and multibase base64url encoded. Lists hold 131,072 entries (16 KiB), the specification's
minimum for group privacy.
"""

import gzip
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from gameservices.credentials.badge import timestamp
from gameservices.credentials.jsonld import VC_V2
from gameservices.credentials.multibase import MultibaseError, decode_base64url, encode_base64url

LIST_SIZE = 131_072


class StatusListError(ValueError):
    """A status list credential that cannot be read."""


def encode(revoked: Iterable[int], size: int = LIST_SIZE) -> str:
    """The ``encodedList`` with the given indexes set."""
    bits = bytearray(size // 8)
    for index in revoked:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} outside the list")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same bits always encode the same way.
    return encode_base64url(gzip.compress(bytes(bits), mtime=0))


def is_set(encoded_list: str, index: int) -> bool:
    """Whether bit ``index`` of an ``encodedList`` (of at least ``LIST_SIZE`` entries) is set."""
    try:
        bits = gzip.decompress(decode_base64url(encoded_list))
    except (MultibaseError, OSError, EOFError, zlib.error) as error:
        raise StatusListError("the encodedList is not GZIP in base64url") from error
    if len(bits) * 8 < LIST_SIZE:
        # STATUS_LIST_LENGTH_ERROR: a shorter list gives the holders too small a crowd to hide in.
        raise StatusListError(f"the status list holds fewer than {LIST_SIZE} entries")
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"status index {index} outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(
    *, list_url: str, issuer_url: str, revoked: Iterable[int], valid_from: float
) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential of a list."""
    return {
        "@context": [VC_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_url,
        "validFrom": timestamp(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode(revoked),
        },
    }


def revoked_in(status_list: Mapping[str, Any], entry: Mapping[str, Any]) -> bool:
    """Whether a credential's ``credentialStatus`` entry is set in a (verified) status list credential."""
    subject = status_list.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") != "BitstringStatusList":
        raise StatusListError("not a BitstringStatusListCredential")
    if status_list.get("id") != entry.get("statusListCredential"):
        raise StatusListError("the status list is not the one the credential names")
    if subject.get("statusPurpose") != entry.get("statusPurpose"):
        raise StatusListError("the status list has another purpose")
    try:
        index = int(str(entry.get("statusListIndex")))
    except ValueError as error:
        raise StatusListError("the statusListIndex is not a number") from error
    return is_set(str(subject.get("encodedList") or ""), index)
