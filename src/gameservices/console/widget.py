"""The rank widget ``/widget/rank``: a page meant for an iframe of the partner's own site. The host page passes a
USER KS in the URL fragment (never sent to any server by the browser); the widget's script sends it in an
Authorization header to ``/widget/rank/data``. Only the origins the partner allowed may frame it."""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from gameservices.api.deps import ks_of
from gameservices.api.errors import from_validation_error, status_of
from gameservices.console.forms import problem
from gameservices.console.pages import page
from gameservices.console.request_text import refuse_unstorable_text
from gameservices.console.session import ConsoleRoute, ReadConsole, WriteConsole
from gameservices.console.signin import context
from gameservices.errors import GameServicesError
from gameservices.services.access.session import CountAfter
from gameservices.services.standings import widget as service
from gameservices.storage.database import read_transaction


class PageRoute(APIRoute):
    """The widget page's route: the page takes no KS, so a bad parameter is a 400 naming it (the API answers a
    request that is both malformed and without a KS as unauthenticated, which would tell of a KS never needed)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except RequestValidationError as error:
                raise from_validation_error(error) from error

        return handler


router = APIRouter(include_in_schema=False, dependencies=[Depends(refuse_unstorable_text)])
page_router = APIRouter(
    include_in_schema=False, dependencies=[Depends(refuse_unstorable_text)], route_class=PageRoute
)
console_router = APIRouter(prefix="/console/widget", route_class=ConsoleRoute, include_in_schema=False)
GameObjectId = Annotated[str, Query(alias="gameObjectId", max_length=64)]


def _frame_ancestors(request: Request, partner_id: int) -> str:
    with read_transaction(request.app.state.engine) as conn:
        origins = service.allowed_origins(conn, partner_id)
    return " ".join(origins) or "'none'"


@page_router.get("/widget/rank")
async def rank_widget(
    request: Request,
    game_object_id: GameObjectId,
    partner_id: Annotated[int, Query(alias="partnerId", ge=1, le=2**31 - 1)],
) -> Response:
    """The widget's page; it can be framed only by the partner's allowed origins."""
    ancestors = await run_in_threadpool(_frame_ancestors, request, partner_id)
    context = {"title": "My rank", "game_object_id": game_object_id}
    return page("widget/rank.html", context, frame_ancestors=ancestors)


@router.get("/widget/rank/data")
def rank_data(request: Request, game_object_id: GameObjectId) -> Response:
    """The KS's user's rank, score and neighbours, as an HTML fragment."""
    client_ip = request.client.host if request.client else ""
    count = CountAfter()
    try:
        try:
            with read_transaction(request.app.state.engine) as conn:
                mine = service.my_rank(
                    conn,
                    live=request.app.state.live,
                    ks=ks_of(request),
                    game_object_id=game_object_id,
                    client_ip=client_ip,
                    count=count,
                )
        finally:
            # The KS's use counts whatever the answer (an unknown game object too); past its limit the KS is
            # refused instead of that answer.
            count.settle(request.app.state.engine)
    except GameServicesError as error:
        return page("widget/rank_data.html", {"error": _shown(error)}, status_code=status_of(error))
    return page("widget/rank_data.html", {"error": None, **mine})


def _shown(error: GameServicesError) -> dict[str, str]:
    """An error as the widget shows it. The API's INVALID_KS message quotes the whole KS (as Kaltura's does); a
    page never echoes a credential back, so the widget's names only why the KS was refused."""
    if error.code != "INVALID_KS":
        return problem(error)
    reason = error.arguments.get("ERR_DESC")
    return {"code": error.code, "message": f"Invalid KS: {reason}" if reason else "Invalid KS"}


@console_router.get("")
def widget_settings(console: ReadConsole) -> Response:
    """The origins allowed to embed the partner's rank widget."""
    with console.read() as conn:
        origins = service.allowed_origins(conn, console.partner_id)
    more = {"origins": "\n".join(origins), "error": None}
    return page("console/widget_settings.html", context(console, "Rank widget", **more))


@console_router.post("")
def widget_settings_save(
    console: WriteConsole, origins: Annotated[str, Form(max_length=10_000)] = ""
) -> Response:
    """Replace the allowed origins."""
    try:
        with console.write() as conn:
            service.set_allowed_origins(conn, partner_id=console.partner_id, text=origins)
    except GameServicesError as error:
        more = {"origins": origins, "error": problem(error)}
        return page("console/widget_settings.html", context(console, "Rank widget", **more), status_code=400)
    return RedirectResponse("/console/widget", status_code=303)
