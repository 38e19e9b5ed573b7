"""Kaltura sessions (KS v1 and v2): read, verify and mint them exactly as the Kaltura server does.

v2 = urlsafe-base64(`v2|<partnerId>|` + AES-128-CBC(SHA-1(R + F) + R + F)), the AES key being the first 16
bytes of SHA-1(admin secret), a zero IV and zero padding; R is 16 random bytes and F a query string holding
the privileges as keys plus `_e` (expiry), `_t` (type) and `_u` (user).
v1 = base64(sha1hex(secret + info) + `|` + info),
info = `partnerId;partnerId;expiry;type;rand;userId;privileges`.

Every failure to read or verify a KS is a `KsInvalid` carrying the Kaltura server's ks error code and name, so
the API can answer `INVALID_KS` with `ERR_CODE`/`ERR_DESC` as Kaltura does (a bad signature, like any
unreadable KS, is `-1 INVALID_STR` there).
"""

import secrets as random_source
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from urllib.parse import urlencode

from gameservices.auth import ks_format
from gameservices.auth.privileges import Privileges, ip_allowed, uri_allowed

KS_TYPE_USER = 0
KS_TYPE_ADMIN = 2

_FIELD_EXPIRY = "_e"
_FIELD_TYPE = "_t"
_FIELD_USER = "_u"
# Fields of a v2 KS that are session data rather than privileges (`_m` master partner, `_d` additional data).
_V2_SESSION_FIELDS = frozenset({_FIELD_EXPIRY, _FIELD_TYPE, _FIELD_USER, "_m", "_d"})
_ALL_PRIVILEGES = "*"
_ALL_PRIVILEGES_V2 = "all:*"
_V1_SEPARATOR = ";"
_V1_RAND_LIMIT = 0x10000


class KsErrorCode(IntEnum):
    """The Kaltura server's ks validation results; the member name is the `ERR_DESC` it reports."""

    INVALID_STR = -1
    INVALID_PARTNER = -2
    INVALID_USER = -3
    INVALID_TYPE = -4
    EXPIRED = -5
    LOGOUT = -6
    EXCEEDED_ACTIONS_LIMIT = -8
    EXCEEDED_RESTRICTED_IP = -9
    EXCEEDED_RESTRICTED_URI = -11


class KsInvalid(Exception):
    """A KS that cannot be read, fails its signature, has expired or breaks one of its restrictions."""

    def __init__(self, code: KsErrorCode) -> None:
        super().__init__(code.name)
        self.code: int = int(code)
        self.description: str = code.name


@dataclass(frozen=True)
class Session:
    """A verified KS: whose it is, what it may do, until when, and the KS string itself."""

    partner_id: int
    user_id: str
    type: int
    expiry: int
    privileges: Privileges
    version: int
    raw: str


def peek_partner_id(ks: str) -> int:
    """The partner id a KS names, read without verifying it (to find the partner's secrets)."""
    return _open(ks).partner_id


def verify_ks(ks: str, *, secrets: Sequence[str], now: float) -> Session:
    """Verify a KS v1 or v2 with each admin secret of the partner `peek_partner_id` names; return its session.

    The secrets must be those of that partner: a v2 KS does not sign its partner id, which is bound to the
    session only by the secret that decrypts it.
    """
    envelope = _open(ks)
    if envelope.version == 2:
        session = _verify_v2(envelope, secrets, ks)
    else:
        session = _verify_v1(envelope, secrets, ks)
    if session.expiry <= now:
        raise KsInvalid(KsErrorCode.EXPIRED)
    return session


def check_restrictions(session: Session, *, client_ip: str, uri: str) -> None:
    """Enforce the KS's `iprestrict` and `urirestrict`; `uri` is the request target (path and query)."""
    if not ip_allowed(session.privileges, client_ip):
        raise KsInvalid(KsErrorCode.EXCEEDED_RESTRICTED_IP)
    if not uri_allowed(session.privileges, uri):
        raise KsInvalid(KsErrorCode.EXCEEDED_RESTRICTED_URI)


def mint_ks(
    *,
    partner_id: int,
    secret: str,
    user_id: str = "",
    type: int = KS_TYPE_ADMIN,
    expiry_seconds: int = 86400,
    privileges: str = "",
    now: float,
) -> str:
    """Mint a KS v2, as `KalturaClient.generateSessionV2` does."""
    _check_partner_id(partner_id)
    fields = _privilege_fields(privileges)
    fields[_FIELD_EXPIRY] = str(int(now) + expiry_seconds)
    fields[_FIELD_TYPE] = str(type)
    fields[_FIELD_USER] = user_id
    body = urlencode(fields).encode()
    return ks_format.seal_v2(
        partner_id, secret.encode(), random_source.token_bytes(ks_format.RANDOM_SIZE) + body
    )


def mint_ks_v1(
    *,
    partner_id: int,
    secret: str,
    user_id: str = "",
    type: int = KS_TYPE_ADMIN,
    expiry_seconds: int = 86400,
    privileges: str = "",
    now: float,
) -> str:
    """Mint a KS v1, as `KalturaClient.generateSession` does."""
    _check_partner_id(partner_id)
    if _V1_SEPARATOR in user_id or _V1_SEPARATOR in privileges:
        # The server splits v1 fields on ";", so such a KS would be read back with other fields.
        raise ValueError("a KS v1 user id or privilege string cannot contain ';'")
    rand = random_source.randbelow(_V1_RAND_LIMIT + 1)
    info_fields = (partner_id, partner_id, int(now) + expiry_seconds, type, rand, user_id, privileges)
    info = _V1_SEPARATOR.join(str(field) for field in info_fields).encode()
    return ks_format.sign_v1(secret.encode(), info)


def _open(ks: str) -> ks_format.Envelope:
    envelope = ks_format.open_envelope(ks)
    if envelope is None:
        raise KsInvalid(KsErrorCode.INVALID_STR)
    return envelope


def _verify_v2(envelope: ks_format.Envelope, secrets: Sequence[str], ks: str) -> Session:
    for secret in secrets:
        payload = ks_format.unseal_v2(envelope.body, secret.encode())
        if payload is not None:
            fields = ks_format.parse_v2_fields(payload)
            if fields is None:
                break  # the right secret, but what it signed is not text: no other secret can help
            return _session_from_v2_fields(envelope.partner_id, fields, ks)
    raise KsInvalid(KsErrorCode.INVALID_STR)


def _session_from_v2_fields(partner_id: int, fields: dict[str, str], ks: str) -> Session:
    privileges = [
        f"{name}:{value}" if value else name
        for name, value in fields.items()
        if name not in _V2_SESSION_FIELDS
    ]
    privilege_text = ",".join(privileges)
    if privilege_text == _ALL_PRIVILEGES_V2:
        privilege_text = _ALL_PRIVILEGES
    return Session(
        partner_id=partner_id,
        user_id=fields.get(_FIELD_USER, ""),
        # A KS without an expiry counts as long expired and one without a type as a user KS, as on the server.
        type=_signed_int(fields.get(_FIELD_TYPE, str(KS_TYPE_USER))),
        expiry=_signed_int(fields.get(_FIELD_EXPIRY, "0")),
        privileges=Privileges.parse(privilege_text),
        version=2,
        raw=ks,
    )


def _verify_v1(envelope: ks_format.Envelope, secrets: Sequence[str], ks: str) -> Session:
    if not any(ks_format.is_signed_v1(envelope, secret.encode()) for secret in secrets):
        raise KsInvalid(KsErrorCode.INVALID_STR)
    parts = _decode_text(envelope.body).split(_V1_SEPARATOR)
    # Fields past the expiry are optional in v1: the server reads missing ones as empty.
    parts += [""] * (7 - len(parts))
    return Session(
        partner_id=envelope.partner_id,
        user_id=parts[5],
        type=_signed_int(parts[3] or str(KS_TYPE_USER)),
        expiry=_signed_int(parts[2] or "0"),
        privileges=Privileges.parse(parts[6]),
        version=1,
        raw=ks,
    )


def _privilege_fields(privileges: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for privilege in privileges.split(","):
        privilege = privilege.strip()
        if not privilege:
            continue
        if privilege == _ALL_PRIVILEGES:
            privilege = _ALL_PRIVILEGES_V2
        name, _, value = privilege.partition(":")
        fields[name] = value
    return fields


def _signed_int(text: str) -> int:
    value = ks_format.parse_int(text)
    if value is None:
        raise KsInvalid(KsErrorCode.INVALID_STR)
    return value


def _decode_text(data: bytes) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise KsInvalid(KsErrorCode.INVALID_STR) from None


def _check_partner_id(partner_id: int) -> None:
    if partner_id < 0:
        raise ValueError("a partner id is a non-negative integer")
