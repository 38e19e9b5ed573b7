"""The console's display links screen: every big-screen link of the partner (the API's ``displayLink/list``),
with their URLs to copy and a revoke button (``displayLink/delete``). Links are created on a leaderboard's page."""

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gameservices.console.pages import page
from gameservices.console.session import ConsoleRoute, ReadConsole, WriteConsole
from gameservices.console.signin import context
from gameservices.services.standings import display_link as service

router = APIRouter(prefix="/console/displayLinks", route_class=ConsoleRoute, include_in_schema=False)
MAX_LINKS = 100


@router.get("")
def display_link_list(request: Request, console: ReadConsole) -> Response:
    """The partner's links, newest first."""
    with console.read() as conn:
        total, links = service.list_page(
            conn, partner_id=console.partner_id, game_object_id=None, offset=0, limit=MAX_LINKS
        )
    shown = [service.view(link, base_url=str(request.base_url)) for link in links]
    return page("console/display_link_list.html", context(console, "Display links", links=shown, total=total))


@router.post("/{link_id}/revoke")
def display_link_revoke(link_id: str, console: WriteConsole) -> Response:
    """Revoke a link: its page answers 404 from now on."""
    with console.write_aside() as conn:
        service.delete(conn, partner_id=console.partner_id, link_id=link_id)
    return RedirectResponse("/console/displayLinks", status_code=303)
