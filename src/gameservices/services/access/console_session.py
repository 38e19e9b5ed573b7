"""Web console sessions: signing in with a partner's admin secret or an admin KS, and finding the session a
cookie names. The session holds the admin KS the console acts with; every console request checks it exactly as
the API checks a KS (`services.session.authenticate_request`), so a console user can do what that KS can."""

import hmac
import secrets
import time
from dataclasses import dataclass

from gameservices.auth.ks import KS_TYPE_ADMIN, mint_ks
from gameservices.errors import AuthenticationFailed, GameServicesError
from gameservices.services.access.session import authenticate, count_in, not_counted, verify_session
from gameservices.storage import console_sessions as repository
from gameservices.storage import partners as partner_repository
from gameservices.storage.console_sessions import ConsoleSessionRecord
from gameservices.storage.database import Connection

DEFAULT_SESSION_SECONDS = 8 * 3600
# Shown for any failed sign-in: it never tells which of the partner id and the secret was wrong.
CONSOLE_URI = "/console/"
SIGN_IN_FAILED = "Sign-in failed: check the partner id and the admin secret or KS"


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie's token (kept only by the browser) and the stored record."""

    token: str
    record: ConsoleSessionRecord


def sign_in_with_secret(
    conn: Connection, *, partner_id: int, secret: str, session_seconds: int = DEFAULT_SESSION_SECONDS
) -> SignedIn:
    """A session for the partner whose admin secret this is; it acts with an admin KS minted for it."""
    partner = partner_repository.get_partner(conn, partner_id)
    now = int(time.time())
    known = partner is not None and any(
        hmac.compare_digest(secret.encode(), candidate.encode()) for candidate in partner.secrets
    )
    if partner is None or not known:
        raise AuthenticationFailed(SIGN_IN_FAILED, code="CONSOLE_SIGN_IN_FAILED")
    ks = mint_ks(
        partner_id=partner_id,
        secret=secret,
        user_id="console",
        type=KS_TYPE_ADMIN,
        expiry_seconds=session_seconds,
        now=now,
    )
    return _start(conn, ks=ks, partner_id=partner_id, expires_at=now + session_seconds, now=now)


def sign_in_with_ks(
    conn: Connection, *, ks: str, client_ip: str, session_seconds: int = DEFAULT_SESSION_SECONDS
) -> SignedIn:
    """A session acting with a given admin KS, for as long as both it and the session last."""
    now = int(time.time())
    try:
        # Signing in is one use of the KS (counted in the sign-in's transaction); each console request after it
        # is another.
        _, session = verify_session(conn, ks=ks, client_ip=client_ip, uri=CONSOLE_URI, count=not_counted)
        authenticate(conn, ks=ks, client_ip=client_ip, uri=CONSOLE_URI, count=count_in(conn))
    except GameServicesError as error:
        raise AuthenticationFailed(SIGN_IN_FAILED, code="CONSOLE_SIGN_IN_FAILED") from error
    return _start(
        conn,
        ks=ks,
        partner_id=session.partner_id,
        expires_at=min(session.expiry, now + session_seconds),
        now=now,
    )


def _start(conn: Connection, *, ks: str, partner_id: int, expires_at: int, now: int) -> SignedIn:
    token = secrets.token_urlsafe(32)
    record = ConsoleSessionRecord(
        partner_id=partner_id, ks=ks, csrf_token=secrets.token_urlsafe(32), expires_at=expires_at
    )
    repository.forget_expired(conn, now=now)
    repository.insert_session(conn, token=token, record=record, now=now)
    return SignedIn(token, record)


def find(conn: Connection, *, token: str) -> ConsoleSessionRecord | None:
    """The live session a cookie's token names, or None."""
    return repository.get_session(conn, token=token, now=int(time.time()))


def sign_out(conn: Connection, *, token: str) -> None:
    """End a session."""
    repository.delete_session(conn, token=token)
