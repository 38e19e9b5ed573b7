"""Console sign-in, sign-out and the dashboard."""

import re
import time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from gameservices.console.live_views import activity_context
from gameservices.console.pages import page
from gameservices.console.session import COOKIE, Console, ConsoleRoute, ReadConsole, SigningOut
from gameservices.domain.listing import ListQuery
from gameservices.domain.timefmt import now_ms
from gameservices.errors import AuthenticationFailed, GameServicesError
from gameservices.services.access import console_session
from gameservices.services.catalog import game_objects
from gameservices.services.catalog.badge import BADGE
from gameservices.services.catalog.certificate import CERTIFICATE
from gameservices.services.catalog.lead_scoring import LEAD_SCORING
from gameservices.services.catalog.leaderboard import LEADERBOARD
from gameservices.services.standings import display_link as display_service
from gameservices.services.standings import user_score
from gameservices.storage.database import write_transaction

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
# ASCII digits only: str.isdigit() also takes digits int() refuses (a superscript two).
PARTNER_ID = re.compile(r"[0-9]{1,10}")


def context(console: Console, title: str, **more: Any) -> dict[str, Any]:
    """What every signed-in page shows: the partner, the CSRF token, the page's title."""
    return {
        "partner_id": console.partner_id,
        "csrf_token": console.session.csrf_token,
        "title": title,
        **more,
    }


@router.get("/signin")
def sign_in_form() -> Response:
    """The sign-in page."""
    return page("console/signin.html", {"title": "Sign in", "error": None})


@router.post("/signin")
def sign_in(
    request: Request,
    partner_id: Annotated[str, Form(alias="partnerId")] = "",
    secret: Annotated[str, Form()] = "",
    ks: Annotated[str, Form()] = "",
) -> Response:
    """Start a session with an admin secret or an admin KS; a new session cookie (HttpOnly, SameSite=Strict)."""
    engine = request.app.state.engine
    client_ip = request.client.host if request.client else ""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        # Another site posting a sign-in form would sign the browser in to the attacker's partner.
        context = {"title": "Sign in", "error": "Sign in from this site's own sign-in page"}
        return page("console/signin.html", context, status_code=403)
    try:
        with write_transaction(engine) as conn:
            if ks.strip():
                signed = console_session.sign_in_with_ks(conn, ks=ks.strip(), client_ip=client_ip)
            else:
                number = partner_id.strip()
                if not PARTNER_ID.fullmatch(number) or not secret:
                    raise AuthenticationFailed(console_session.SIGN_IN_FAILED)
                signed = console_session.sign_in_with_secret(conn, partner_id=int(number), secret=secret)
    except GameServicesError:
        context = {"title": "Sign in", "error": console_session.SIGN_IN_FAILED}
        return page("console/signin.html", context, status_code=401)
    response = RedirectResponse("/console/", status_code=303)
    response.set_cookie(
        COOKIE,
        signed.token,
        max_age=max(1, signed.record.expires_at - int(time.time())),
        path="/console",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/signout")
def sign_out(token: SigningOut, request: Request) -> Response:
    """End the session and forget its cookie (whatever the state of the session's KS)."""
    with write_transaction(request.app.state.engine) as conn:
        console_session.sign_out(conn, token=token)
    response = RedirectResponse("/console/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("/")
def dashboard(console: ReadConsole) -> Response:
    """The partner's leaderboards with their number of ranked users, and its display links."""
    with console.read() as conn:
        total, records = game_objects.list_page(
            conn, partner_id=console.partner_id, kind=LEADERBOARD, query=ListQuery(page_size=50)
        )
        boards = []
        for record in records:
            ranked = user_score.list_page(
                conn, live=console.live, partner_id=console.partner_id, record=record, offset=0, limit=0
            )
            boards.append(
                {"id": record.id, "name": record.name, "status": record.status, "users": ranked["totalCount"]}
            )
        counts = {
            kind.entity: game_objects.list_page(
                conn, partner_id=console.partner_id, kind=kind, query=ListQuery(page_size=1)
            )[0]
            for kind in (BADGE, CERTIFICATE, LEAD_SCORING)
        }
        links_total, _ = display_service.list_page(
            conn, partner_id=console.partner_id, game_object_id=None, offset=0, limit=0
        )
        shown = activity_context(conn, console.live, console.partner_id, now_ms())
    return page(
        "console/dashboard.html",
        context(
            console,
            "Dashboard",
            leaderboards=boards,
            leaderboard_total=total,
            display_links=links_total,
            counts=counts,
            **shown,
        ),
    )
