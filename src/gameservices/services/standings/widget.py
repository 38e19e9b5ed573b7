"""The rank widget: a user's own rank, score and neighbours (with a USER KS), and the origins allowed to embed
the widget of a partner (its frame-ancestors)."""

import contextlib
import re
import time
from typing import Any

from gameservices.errors import NotFound, PermissionDenied, ValidationFailed
from gameservices.projection.live import LiveState
from gameservices.services.access.session import UseCount, verify_session
from gameservices.services.standings import user_score
from gameservices.storage import widget_origins as repository
from gameservices.storage.database import Connection

MAX_ORIGINS = 20
NEIGHBOURS = 2
# A scheme and a host (and a port): what a CSP source expression may safely name.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]{1,200}(:[0-9]{1,5})?$")


def my_rank(
    conn: Connection,
    *,
    live: LiveState,
    ks: str | None,
    game_object_id: str,
    client_ip: str,
    count: UseCount,
) -> dict[str, Any]:
    """The KS's user on one of its partner's game objects: rank, score and the users around them; `count`
    counts the KS's use."""
    partner, session = verify_session(conn, ks=ks, client_ip=client_ip, uri="/widget/rank", count=count)
    if not partner.enabled or not partner.game_services_enabled:
        raise PermissionDenied("Game Services are not enabled for this partner", code="SERVICE_FORBIDDEN")
    if not session.user_id:
        raise ValidationFailed("ks", "the KS names no user")
    record = user_score.game_object(
        conn, partner_id=partner.id, game_object_id=game_object_id, game_object_type=None
    )
    around = user_score.list_page(
        conn,
        live=live,
        partner_id=partner.id,
        record=record,
        offset=0,
        limit=0,
        user_id=session.user_id,
        above=NEIGHBOURS,
        below=NEIGHBOURS,
    )
    me = next((entry for entry in around["objects"] if entry["userId"] == session.user_id), None)
    if me is None:
        # A user their policy hides is in no one's ranking, their own neighbourhood included, but has a score
        # (``userScore/get``: rank null, hidden).
        with contextlib.suppress(NotFound):
            me = user_score.get(
                conn, live=live, partner_id=partner.id, record=record, user_id=session.user_id
            )
    return {"userId": session.user_id, "me": me, "objects": around["objects"], "total": around["totalCount"]}


def allowed_origins(conn: Connection, partner_id: int) -> list[str]:
    """The origins allowed to frame the partner's widget."""
    return repository.origins_of(conn, partner_id)


def set_allowed_origins(conn: Connection, *, partner_id: int, text: str) -> list[str]:
    """Replace the allowed origins with those of a text, one per line; refuses anything but an origin."""
    origins = sorted({line.strip().rstrip("/") for line in text.splitlines() if line.strip()})
    if len(origins) > MAX_ORIGINS:
        raise ValidationFailed("origins", f"at most {MAX_ORIGINS} origins")
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise ValidationFailed("origins", f"{origin[:100]} is not an origin like https://example.org")
    repository.replace_origins(conn, partner_id=partner_id, origins=origins, now=int(time.time() * 1000))
    return origins
