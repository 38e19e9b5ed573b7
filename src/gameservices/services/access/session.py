"""Who is calling: a KS verified against the partner's secrets, and what it is allowed to do."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gameservices.auth.ks import (
    KS_TYPE_ADMIN,
    KsErrorCode,
    KsInvalid,
    Session,
    check_restrictions,
    peek_partner_id,
    verify_ks,
)
from gameservices.domain.text import has_unstorable
from gameservices.errors import AuthenticationFailed, PermissionDenied
from gameservices.services.access.partner import PERMISSIONS
from gameservices.storage import partners as repository
from gameservices.storage import sessions as session_repository
from gameservices.storage.database import Connection, Engine, read_transaction
from gameservices.storage.partners import PartnerRecord

ALL_PERMISSIONS = frozenset(PERMISSIONS)


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the partner it acts for and the permissions its KS carries."""

    partner_id: int
    user_id: str
    permissions: frozenset[str]
    ks: str


def authenticate(conn: Connection, *, ks: str | None, client_ip: str, uri: str) -> Caller:
    """Verify a KS as the Kaltura server does; only an ADMIN KS of an enabled partner passes."""
    partner, session = verify_session(conn, ks=ks, client_ip=client_ip, uri=uri)
    return _caller(partner, session, lambda role_id: _role(conn, partner.id, role_id))


def authenticate_request(
    engine: Engine, *, ks: str | None, client_ip: str, uri: str, connection: Any = None
) -> tuple[Caller, tuple[int, int]]:
    """`authenticate` for an API request, with the partner's (state, rules) versions read at the same moment.

    The partner, its secrets, whether the KS was ended and the versions come from one prepared statement, and
    a KS already verified against the same secrets is not decrypted again (its expiry is still checked): the
    cost of authentication stays far below that of the request it guards. With `connection` (a DBAPI connection
    the caller owns), every read runs on it and nothing waits for the engine's pool.
    """
    if not ks:
        raise AuthenticationFailed("Missing KS, session not established", code="MISSING_KS")
    try:
        snapshot = repository.auth_snapshot(
            engine,
            partner_id=peek_partner_id(ks),
            ks_hash=session_repository.ks_hash(ks),
            connection=connection,
        )
        if snapshot is None:
            raise KsInvalid(KsErrorCode.INVALID_STR)
        session = _verified(ks, snapshot.partner.secrets, client_ip=client_ip, uri=uri)
        if snapshot.revoked:
            forget(ks)
            raise KsInvalid(KsErrorCode.LOGOUT)
    except KsInvalid as error:
        raise _invalid(ks, error) from error

    def role(role_id: str) -> frozenset[str] | None:
        if connection is not None:
            return repository.role_permissions_on(
                engine, connection, partner_id=snapshot.partner.id, role_id=role_id
            )
        with read_transaction(engine) as conn:
            return _role(conn, snapshot.partner.id, role_id)

    return _caller(snapshot.partner, session, role), snapshot.versions


def verify_session(
    conn: Connection, *, ks: str | None, client_ip: str, uri: str
) -> tuple[PartnerRecord, Session]:
    """Verify any KS (of any type) as the Kaltura server does: signature, expiry, restrictions, not ended."""
    if not ks:
        raise AuthenticationFailed("Missing KS, session not established", code="MISSING_KS")
    try:
        partner = repository.get_partner(conn, peek_partner_id(ks))
        if partner is None:
            # The Kaltura server cannot tell an unknown partner from a bad signature either.
            raise KsInvalid(KsErrorCode.INVALID_STR)
        session = _verified(ks, partner.secrets, client_ip=client_ip, uri=uri)
        if session_repository.is_revoked(conn, ks):
            # Ended by session.end: the Kaltura server answers a logged-out KS with LOGOUT.
            forget(ks)
            raise KsInvalid(KsErrorCode.LOGOUT)
    except KsInvalid as error:
        raise _invalid(ks, error) from error
    return partner, session


def verified_session(ks: str, secrets: tuple[str, ...], *, client_ip: str, uri: str) -> Session:
    """A KS verified against these secrets (remembered, as for API requests); raises ``KsInvalid``."""
    return _verified(ks, secrets, client_ip=client_ip, uri=uri)


def vouched_partner(ks: str) -> int | None:
    """The partner of a KS this process has verified and that has not expired, without reading anything (the
    rate limit's test of who signed a request); None for any other KS."""
    session = _VOUCHED.get(ks)
    if session is None or session.expiry <= time.time():
        return None
    return session.partner_id


def vouch(engine: Engine, ks: str) -> int | None:
    """`vouched_partner` for a KS not verified yet: its signature and expiry are checked against its partner's
    secrets and it must not have been ended (one read), and a KS that passes is remembered as every verified KS
    is; None when it does not."""
    try:
        snapshot = repository.auth_snapshot(
            engine, partner_id=peek_partner_id(ks), ks_hash=session_repository.ks_hash(ks)
        )
        if snapshot is None or snapshot.revoked:
            return None
        return _signed(ks, snapshot.partner.secrets, time.time()).partner_id
    except KsInvalid:
        return None


def forget(ks: str) -> None:
    """Stop vouching for a KS this process remembers as signed (``session.end`` ended it): from now on it is
    verified, and refused, as a KS never seen, spending its client address's tokens instead of its partner's."""
    _VOUCHED.pop(ks, None)


# KSs that passed verification, by (KS, the secrets that verified it): a KS is decrypted and its signature
# checked once, not on every request. Its expiry and restrictions are checked every time.
_VERIFIED: dict[tuple[str, tuple[str, ...]], Session] = {}
# The same sessions by KS alone, for `vouched_partner` (which does not know the partner's secrets).
_VOUCHED: dict[str, Session] = {}
MAX_VERIFIED_SESSIONS = 10_000
# Longer KSs are verified on every request, never remembered: their length is the minter's to choose (privileges
# are free text), and remembering MAX_VERIFIED_SESSIONS of any length would let one partner fill the memory.
MAX_REMEMBERED_KS_LENGTH = 2048


def _verified(ks: str, secrets: tuple[str, ...], *, client_ip: str, uri: str) -> Session:
    session = _signed(ks, secrets, time.time())
    check_restrictions(session, client_ip=client_ip, uri=uri)
    return session


def _signed(ks: str, secrets: tuple[str, ...], now: float) -> Session:
    """The session of a KS whose signature and expiry pass (remembered once verified)."""
    key = (ks, secrets)
    session = _VERIFIED.get(key)
    if session is None:
        session = verify_ks(ks, secrets=secrets, now=now)
        if len(ks) <= MAX_REMEMBERED_KS_LENGTH:
            if len(_VERIFIED) >= MAX_VERIFIED_SESSIONS:
                _VERIFIED.clear()
                _VOUCHED.clear()
            _VERIFIED[key] = session
            _VOUCHED[ks] = session
    elif session.expiry <= now:
        raise KsInvalid(KsErrorCode.EXPIRED)
    return session


def _role(conn: Connection, partner_id: int, role_id: str) -> frozenset[str] | None:
    return repository.role_permissions(conn, partner_id=partner_id, role_id=role_id)


def _caller(partner: PartnerRecord, session: Session, role: Callable[[str], frozenset[str] | None]) -> Caller:
    if session.type != KS_TYPE_ADMIN:
        raise PermissionDenied("Game Services require an ADMIN KS (type 2)", args={"SERVICE": "game"})
    if not partner.enabled or not partner.game_services_enabled:
        raise PermissionDenied(
            "Game Services are not enabled for this partner",
            code="SERVICE_FORBIDDEN",
            args={"SERVICE": "game"},
        )
    permissions = ALL_PERMISSIONS
    if session.privileges.role_ids:
        # As on the Kaltura server, the first setrole names the role the KS is limited to. A role id holding
        # text no database stores (a NUL character) names no role, and is not looked up.
        role_id = session.privileges.role_ids[0]
        permissions = (None if has_unstorable(role_id) else role(role_id)) or frozenset()
    return Caller(partner_id=partner.id, user_id=session.user_id, permissions=permissions, ks=session.raw)


def require(caller: Caller, permission: str, *, service: str) -> None:
    """Refuse the call unless the caller's KS carries the permission."""
    if permission not in caller.permissions:
        raise PermissionDenied(
            f"The access to service [{service}] is forbidden",
            code="SERVICE_FORBIDDEN",
            args={"SERVICE": service},
        )


def _invalid(ks: str, error: KsInvalid) -> AuthenticationFailed:
    ks_id = ks if len(ks) <= 512 else ks[:512] + "..."
    return AuthenticationFailed(
        f'Invalid KS "{ks_id}". Error "{error.code},{error.description}"',
        code="INVALID_KS",
        args={"KSID": ks_id, "ERR_CODE": error.code, "ERR_DESC": error.description},
    )
