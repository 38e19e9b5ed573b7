"""Who is calling: a KS verified against the partner's secrets, and what it is allowed to do.

A KS carrying `actionslimit:N` may be used for N requests: each check of such a KS that passes counts one use
in the database (``storage.ks_uses``, shared by every process), and past N the KS is refused with
EXCEEDED_ACTIONS_LIMIT. Whoever checks a KS says where its use is counted (a ``UseCount``); a KS without the
privilege costs nothing more.
"""

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
from gameservices.storage import ks_uses as use_repository
from gameservices.storage import partners as repository
from gameservices.storage import sessions as session_repository
from gameservices.storage.database import Connection, Engine, read_transaction, write_transaction
from gameservices.storage.partners import PartnerRecord

ALL_PERMISSIONS = frozenset(PERMISSIONS)


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the partner it acts for and the permissions its KS carries."""

    partner_id: int
    user_id: str
    permissions: frozenset[str]
    ks: str


# Counts one use of a verified KS, or raises ``KsInvalid`` (EXCEEDED_ACTIONS_LIMIT) when the KS has none left.
UseCount = Callable[[Session], None]


class CountedOffLoop(Exception):
    """A KS whose use must be counted was checked on a connection that may not write (the event loop's): check
    it again off the loop, without `connection`."""


def count_in(conn: Connection) -> UseCount:
    """Count a KS's use in the caller's write transaction (which also holds the rest of its work)."""

    def count(session: Session) -> None:
        _count_use(conn, session)

    return count


def count_apart(engine: Engine) -> UseCount:
    """Count a KS's use in a write transaction of its own (for a check made outside any write transaction)."""

    def count(session: Session) -> None:
        if session.privileges.actions_limit is not None:
            with write_transaction(engine) as conn:
                uses = _add_use(conn, session)
            _refuse_past_limit(session, uses)

    return count


def not_counted(_session: Session) -> None:
    """For a check of a KS whose use another check of the same KS in the same request counts."""


class CountAfter:
    """Counts a KS's use once the read transaction that checked it has ended (``settle``): a check made in a
    read transaction opens no write transaction while it holds its connection."""

    def __init__(self) -> None:
        self._sessions: list[Session] = []

    def __call__(self, session: Session) -> None:
        self._sessions.append(session)

    def settle(self, engine: Engine) -> None:
        """Count the uses of the KSs checked (each in a transaction of its own); raises AuthenticationFailed
        (INVALID_KS, EXCEEDED_ACTIONS_LIMIT) for a KS with no use left."""
        sessions, self._sessions = self._sessions, []
        for session in sessions:
            _count_apart(engine, session)


def _count_apart(engine: Engine, session: Session) -> None:
    try:
        count_apart(engine)(session)
    except KsInvalid as error:
        raise _invalid(session.raw, error) from error


# How long a KS's use count outlives the KS: a host whose clock lags this one's still accepts the KS for a while,
# and would count its uses from zero again once the count is gone.
USES_KEPT_AFTER_EXPIRY_SECONDS = 600


def forget_expired_uses(engine: Engine, *, now: float) -> int:
    """Drop the use counts of KSs that expired ``USES_KEPT_AFTER_EXPIRY_SECONDS`` or more before `now` (a scheduler
    job); how many went."""
    with write_transaction(engine) as conn:
        return use_repository.forget_expired(conn, now=int(now) - USES_KEPT_AFTER_EXPIRY_SECONDS)


def _count_use(conn: Connection, session: Session) -> None:
    if session.privileges.actions_limit is not None:
        _refuse_past_limit(session, _add_use(conn, session))


def _add_use(conn: Connection, session: Session) -> int:
    return use_repository.count_use(
        conn, ks=session.raw, partner_id=session.partner_id, expires_at=session.expiry
    )


def _refuse_past_limit(session: Session, uses: int) -> None:
    limit = session.privileges.actions_limit
    if limit is not None and uses > limit:
        raise KsInvalid(KsErrorCode.EXCEEDED_ACTIONS_LIMIT)


def authenticate(conn: Connection, *, ks: str | None, client_ip: str, uri: str, count: UseCount) -> Caller:
    """Verify a KS as the Kaltura server does; only an ADMIN KS of an enabled partner passes. Its use is
    counted by `count` once it passes (see ``verify_session``)."""
    partner, session = verify_session(conn, ks=ks, client_ip=client_ip, uri=uri, count=not_counted)
    caller = _caller(partner, session, lambda role_id: _role(conn, partner.id, role_id))
    try:
        count(session)
    except KsInvalid as error:
        raise _invalid(session.raw, error) from error
    return caller


def authenticate_request(
    engine: Engine, *, ks: str | None, client_ip: str, uri: str, connection: Any = None
) -> tuple[Caller, tuple[int, int]]:
    """`authenticate` for an API request, with the partner's (state, rules) versions read at the same moment.

    The partner, its secrets, whether the KS was ended and the versions come from one prepared statement, and
    a KS already verified against the same secrets is not decrypted again (its expiry is still checked): the
    cost of authentication stays far below that of the request it guards. With `connection` (a DBAPI connection
    the caller owns), every read runs on it and nothing waits for the engine's pool.

    The use of a KS carrying `actionslimit` is counted in a write transaction of its own once the caller
    passes; with `connection`, which must not write, such a KS raises ``CountedOffLoop`` instead.
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
        if connection is not None and session.privileges.actions_limit is not None:
            raise CountedOffLoop
    except KsInvalid as error:
        raise _invalid(ks, error) from error

    def role(role_id: str) -> frozenset[str] | None:
        if connection is not None:
            return repository.role_permissions_on(
                engine, connection, partner_id=snapshot.partner.id, role_id=role_id
            )
        with read_transaction(engine) as conn:
            return _role(conn, snapshot.partner.id, role_id)

    caller = _caller(snapshot.partner, session, role)
    _count_apart(engine, session)
    return caller, snapshot.versions


def verify_session(
    conn: Connection, *, ks: str | None, client_ip: str, uri: str, count: UseCount
) -> tuple[PartnerRecord, Session]:
    """Verify any KS (of any type) as the Kaltura server does: signature, expiry, restrictions, not ended; then
    `count` counts its use (a KS past its `actionslimit` is refused)."""
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
        count(session)
    except KsInvalid as error:
        raise _invalid(ks, error) from error
    return partner, session


def verified_session(
    ks: str, secrets: tuple[str, ...], *, client_ip: str, uri: str, count: UseCount
) -> Session:
    """A KS verified against these secrets (remembered, as for API requests), its use counted by `count`;
    raises ``KsInvalid``."""
    session = _verified(ks, secrets, client_ip=client_ip, uri=uri)
    count(session)
    return session


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
