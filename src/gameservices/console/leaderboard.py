"""Console screens of the ``leaderboard`` controller: list, create, edit, status, live top N, a user's rank and
the leaderboard's display links."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from gameservices.api.schemas.common import given_fields, present_fields
from gameservices.api.schemas.display_link import DisplayLinkCreate
from gameservices.api.schemas.leaderboard import LeaderboardCreate, LeaderboardUpdate
from gameservices.console.forms import filled, problem, validated
from gameservices.console.pages import page
from gameservices.console.session import Console, ConsoleRoute, ReadConsole, WriteConsole
from gameservices.console.signin import context
from gameservices.domain.listing import ListQuery
from gameservices.domain.timefmt import now_ms
from gameservices.errors import GameServicesError, NotFound
from gameservices.services.catalog import game_objects
from gameservices.services.catalog.leaderboard import LEADERBOARD
from gameservices.services.standings import display_link as display_service
from gameservices.services.standings import user_score

router = APIRouter(prefix="/console/leaderboards", route_class=ConsoleRoute, include_in_schema=False)
FIELDS = ("name", "description", "status", "startDate", "endDate", "virtualEventIds")
LIVE_TOP = 10


def _fields(form: dict[str, str]) -> dict[str, Any]:
    # The virtual event ids are typed as one comma-separated line.
    fields = filled(form)
    if "virtualEventIds" in form:
        fields["virtualEventIds"] = [
            part.strip() for part in form["virtualEventIds"].split(",") if part.strip()
        ]
    return fields


def live_screen(partner_id: int, object_id: str) -> display_service.Screen:
    """The console's live top N of a leaderboard."""
    return display_service.Screen(partner_id=partner_id, game_object_id=object_id, top=LIVE_TOP)


def _list_page(console: Console, form: dict[str, str], error: GameServicesError | None) -> Response:
    with console.read() as conn:
        total, records = game_objects.list_page(
            conn, partner_id=console.partner_id, kind=LEADERBOARD, query=ListQuery(page_size=100)
        )
        boards = [game_objects.view(conn, record, LEADERBOARD) for record in records]
    more = {"leaderboards": boards, "total": total, "form": form, "error": error and problem(error)}
    return page(
        "console/leaderboard_list.html",
        context(console, "Leaderboards", **more),
        status_code=400 if error else 200,
    )


@router.get("")
def leaderboard_list(console: ReadConsole) -> Response:
    """The partner's leaderboards and the form to create one."""
    return _list_page(console, {"status": "enabled"}, None)


@router.post("")
async def leaderboard_create(request: Request, console: WriteConsole) -> Response:
    """Create a leaderboard from the form, validated by the API's own model; errors are shown in place."""
    form = {key: str(value) for key, value in (await request.form()).items() if key in FIELDS}
    # The form is read on the event loop; the database work (which may wait for the partner's writers) is not.
    return await run_in_threadpool(_create, console, form)


def _create(console: Console, form: dict[str, str]) -> Response:
    try:
        body = validated(LeaderboardCreate, _fields(form))
        with console.write() as conn:
            record = game_objects.create(
                conn, partner_id=console.partner_id, kind=LEADERBOARD, fields=present_fields(body)
            )
    except GameServicesError as error:
        return _list_page(console, form, error)
    return RedirectResponse(f"/console/leaderboards/{record.id}", status_code=303)


def _detail(console: Console, object_id: str, *, base_url: str, **more: Any) -> Response:
    with console.read() as conn:
        record = game_objects.get(conn, partner_id=console.partner_id, kind=LEADERBOARD, object_id=object_id)
        board = game_objects.view(conn, record, LEADERBOARD)
        top = display_service.standings(
            conn, live=console.live, link=live_screen(console.partner_id, record.id)
        )
        teams = [
            {
                "name": sub.get("name"),
                "id": sub.get("id"),
                **_teams(console, conn, record, str(sub.get("id"))),
            }
            for sub in record.data.get("subLeaderboards") or ()
        ]
        _, links = display_service.list_page(
            conn, partner_id=console.partner_id, game_object_id=record.id, offset=0, limit=100
        )
    shown = {
        "leaderboard": board,
        "standings": top,
        "teams": teams,
        "links": [display_service.view(link, base_url=base_url) for link in links],
        "form": more.pop("form", None) or _form_of(board),
        "error": None,
        **more,
    }
    status = 400 if shown["error"] or shown.get("link_error") else 200
    return page(
        "console/leaderboard_detail.html", context(console, board["name"], **shown), status_code=status
    )


def _form_of(board: dict[str, Any]) -> dict[str, str]:
    form = {key: str(board.get(key) or "") for key in FIELDS}
    form["virtualEventIds"] = ", ".join(board.get("virtualEventIds") or [])
    return form


def _teams(console: Console, conn: Any, record: Any, sub_id: str) -> dict[str, Any]:
    return user_score.team_standings(
        conn,
        live=console.live,
        partner_id=console.partner_id,
        record=record,
        sub_game_id=sub_id,
        offset=0,
        limit=LIVE_TOP,
    )


@router.get("/{object_id}")
def leaderboard_detail(request: Request, object_id: str, console: ReadConsole) -> Response:
    """One leaderboard: its fields, its live top N, a user's rank, its display links."""
    return _detail(console, object_id, base_url=str(request.base_url))


@router.post("/{object_id}")
async def leaderboard_update(request: Request, object_id: str, console: WriteConsole) -> Response:
    """Change the leaderboard's fields (the API's ``leaderboard/update``)."""
    form = {key: str(value) for key, value in (await request.form()).items() if key in FIELDS}
    return await run_in_threadpool(_update, console, object_id, form, str(request.base_url))


def _update(console: Console, object_id: str, form: dict[str, str], base_url: str) -> Response:
    try:
        body = validated(LeaderboardUpdate, {"id": object_id, **_fields(form)})
        with console.write() as conn:
            game_objects.update(
                conn, partner_id=console.partner_id, kind=LEADERBOARD, changes=given_fields(body)
            )
    except NotFound:
        raise  # an unknown leaderboard is a 404 page, not a form error
    except GameServicesError as error:
        return _detail(console, object_id, base_url=base_url, form=form, error=problem(error))
    return RedirectResponse(f"/console/leaderboards/{object_id}", status_code=303)


@router.post("/{object_id}/clone")
def leaderboard_clone(object_id: str, console: WriteConsole) -> Response:
    """Copy the leaderboard with its rules (the API's ``leaderboard/clone``)."""
    with console.write() as conn:
        record = game_objects.clone(
            conn, partner_id=console.partner_id, kind=LEADERBOARD, object_id=object_id
        )
    return RedirectResponse(f"/console/leaderboards/{record.id}", status_code=303)


@router.post("/{object_id}/status")
def leaderboard_status(
    object_id: str, console: WriteConsole, status: Annotated[str, Form()] = ""
) -> Response:
    """Enable or disable the leaderboard."""
    body = validated(LeaderboardUpdate, {"id": object_id, "status": status})
    with console.write() as conn:
        game_objects.update(conn, partner_id=console.partner_id, kind=LEADERBOARD, changes=given_fields(body))
    return RedirectResponse(f"/console/leaderboards/{object_id}", status_code=303)


@router.get("/{object_id}/user")
def leaderboard_user(
    object_id: str, console: ReadConsole, user_id: Annotated[str, Query(alias="userId", max_length=256)] = ""
) -> Response:
    """A user's rank and the users around them (an htmx fragment)."""
    found: dict[str, Any] | None = None
    with console.read() as conn:
        record = game_objects.get(conn, partner_id=console.partner_id, kind=LEADERBOARD, object_id=object_id)
        if user_id.strip():
            found = user_score.list_page(
                conn,
                live=console.live,
                partner_id=console.partner_id,
                record=record,
                offset=0,
                limit=0,
                user_id=user_id.strip(),
                above=2,
                below=2,
            )
    return page("fragments/around_user.html", {"user_id": user_id.strip(), "found": found})


@router.post("/{object_id}/displayLinks")
async def display_link_create(request: Request, object_id: str, console: WriteConsole) -> Response:
    """Create a big-screen link of the leaderboard (the API's ``displayLink/create``)."""
    form = filled({key: str(value) for key, value in (await request.form()).items() if key != "csrf_token"})
    fields: dict[str, Any] = {"gameObjectId": object_id, **form}
    fields["anonymize"] = "anonymize" in form
    return await run_in_threadpool(_create_link, console, object_id, fields, str(request.base_url))


def _create_link(console: Console, object_id: str, fields: dict[str, Any], base_url: str) -> Response:
    try:
        body = validated(DisplayLinkCreate, fields)
        assert isinstance(body, DisplayLinkCreate)
        with console.write_aside() as conn:
            display_service.create(
                conn, partner_id=console.partner_id, fields=body.link_input(), now_ms=now_ms()
            )
    except GameServicesError as error:
        return _detail(console, object_id, base_url=base_url, link_error=problem(error))
    return RedirectResponse(f"/console/leaderboards/{object_id}", status_code=303)


@router.post("/{object_id}/displayLinks/{link_id}/revoke")
def display_link_revoke(object_id: str, link_id: str, console: WriteConsole) -> Response:
    """Revoke a display link (the API's ``displayLink/delete``)."""
    with console.write_aside() as conn:
        display_service.delete(conn, partner_id=console.partner_id, link_id=link_id)
    return RedirectResponse(f"/console/leaderboards/{object_id}", status_code=303)
