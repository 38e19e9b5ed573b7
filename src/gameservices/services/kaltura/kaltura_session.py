"""The API v3 ``session`` service: ``start`` mints a KS for a partner's admin secret, ``end`` logs a KS out so
that it is refused everywhere after (API v1 included), as the Kaltura server does."""

import hmac
import time

from gameservices.auth.ks import KS_TYPE_ADMIN, KS_TYPE_USER, mint_ks
from gameservices.domain.timefmt import now_ms
from gameservices.services.access.session import count_in, forget, verify_session
from gameservices.services.kaltura import kaltura_v3 as v3_errors
from gameservices.storage import partners as partner_repository
from gameservices.storage import sessions as session_repository
from gameservices.storage.database import Connection

SESSION_TYPES = (KS_TYPE_USER, KS_TYPE_ADMIN)
# Partner ids are stored as 32-bit integers: a larger one names no partner (and must not reach the query).
MAX_PARTNER_ID = 2**31 - 1
DEFAULT_EXPIRY_SECONDS = 86400
# The longest session handed out (ten years): past it a KS is as good as eternal, and its expiry stays a
# number every client reads.
MAX_EXPIRY_SECONDS = 10 * 365 * 86400


def start(
    conn: Connection,
    *,
    secret: str,
    user_id: str,
    session_type: int,
    partner_id: int | None,
    expiry_seconds: int,
    privileges: str,
) -> str:
    """``session.start``: a KS v2 signed with the given secret, which must be one of the partner's."""
    partner = None
    if partner_id is not None and 0 < partner_id <= MAX_PARTNER_ID:
        partner = partner_repository.get_partner(conn, partner_id)
    if partner is None or not partner.enabled or not _is_secret_of(secret, partner.secrets):
        raise v3_errors.start_session_error(partner_id)
    if expiry_seconds <= 0:
        expiry_seconds = DEFAULT_EXPIRY_SECONDS
    return mint_ks(
        partner_id=partner.id,
        secret=secret,
        user_id=user_id,
        type=session_type,
        expiry_seconds=min(expiry_seconds, MAX_EXPIRY_SECONDS),
        privileges=privileges,
        now=time.time(),
    )


def end(conn: Connection, *, ks: str | None, client_ip: str, uri: str) -> None:
    """``session.end``: log the calling KS out (it must be valid: an ended KS cannot be ended again)."""
    # The use is counted in this transaction (on SQLite a second write transaction would wait for this one).
    partner, session = verify_session(conn, ks=ks, client_ip=client_ip, uri=uri, count=count_in(conn))
    now = int(time.time())
    # Records of KSs past their expiry are kept no longer than it takes the next logout to clear them.
    session_repository.forget_expired(conn, now=now)
    session_repository.revoke(
        conn, ks=session.raw, partner_id=partner.id, expires_at=session.expiry, now_ms=now_ms()
    )
    # This process stops counting it as its partner's at once (others do once they next refuse it).
    forget(session.raw)


def _is_secret_of(secret: str, secrets: tuple[str, ...]) -> bool:
    given = secret.encode()
    # Every secret is compared, in constant time each, so the answer's timing tells nothing about them.
    matches = [hmac.compare_digest(given, candidate.encode()) for candidate in secrets]
    return any(matches)
