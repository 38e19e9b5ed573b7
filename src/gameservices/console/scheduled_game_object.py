"""The console's schedules screen: planned enable/disable transitions of game objects (the API's
``scheduledGameObject`` list, create and delete = cancel)."""

from typing import Annotated, Any

from fastapi import APIRouter, Form
from starlette.responses import RedirectResponse, Response

from gameservices.api.schemas.scheduled_game_object import ScheduledGameObjectCreate
from gameservices.console.forms import filled, problem, validated
from gameservices.console.pages import page
from gameservices.console.session import Console, ConsoleRoute, ReadConsole, WriteConsole
from gameservices.console.signin import context
from gameservices.domain.listing import ListQuery
from gameservices.errors import GameServicesError
from gameservices.services.catalog import scheduled_game_object as service

router = APIRouter(prefix="/console/schedules", route_class=ConsoleRoute, include_in_schema=False)
FIELDS = ("gameObjectType", "gameObjectId", "scheduledAction", "scheduledDate")
Field = Annotated[str, Form(max_length=256)]


def _page(console: Console, form: dict[str, str], error: GameServicesError | None) -> Response:
    with console.read() as conn:
        total, records = service.list_page(
            conn, partner_id=console.partner_id, query=ListQuery(page_size=100)
        )
    more: dict[str, Any] = {
        "schedules": [service.view(record) for record in records],
        "total": total,
        "form": form,
        "error": error and problem(error),
    }
    status = 400 if error else 200
    return page(
        "console/scheduled_game_object_list.html", context(console, "Schedules", **more), status_code=status
    )


@router.get("")
def schedule_list(console: ReadConsole) -> Response:
    """The partner's transitions, newest first, and the form to plan one."""
    return _page(console, {"gameObjectType": "leaderboard", "scheduledAction": "enable"}, None)


@router.post("")
def schedule_create(
    console: WriteConsole,
    game_object_type: Annotated[str, Form(alias="gameObjectType", max_length=32)] = "",
    game_object_id: Annotated[str, Form(alias="gameObjectId", max_length=64)] = "",
    scheduled_action: Annotated[str, Form(alias="scheduledAction", max_length=16)] = "",
    scheduled_date: Annotated[str, Form(alias="scheduledDate", max_length=64)] = "",
) -> Response:
    """Plan a transition (the API's ``scheduledGameObject/create``)."""
    form = dict(
        zip(FIELDS, (game_object_type, game_object_id, scheduled_action, scheduled_date), strict=True)
    )
    try:
        body = validated(ScheduledGameObjectCreate, filled(form))
        with console.write() as conn:
            service.create(conn, partner_id=console.partner_id, fields=body.model_dump())
    except GameServicesError as error:
        return _page(console, form, error)
    return RedirectResponse("/console/schedules", status_code=303)


@router.post("/{schedule_id}/cancel")
def schedule_cancel(schedule_id: str, console: WriteConsole) -> Response:
    """Cancel a pending transition (the API's ``scheduledGameObject/delete``)."""
    with console.write() as conn:
        service.delete(conn, partner_id=console.partner_id, schedule_id=schedule_id)
    return RedirectResponse("/console/schedules", status_code=303)
