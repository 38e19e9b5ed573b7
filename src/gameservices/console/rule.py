"""Console screens of the ``rule`` controller: list, JSON editor (create and edit, with the API's validation
errors shown in place), enable and disable."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from starlette.responses import RedirectResponse, Response

from gameservices.api.schemas.common import given_fields, present_fields, required_fields
from gameservices.api.schemas.rule import RuleCreate, RuleUpdate
from gameservices.console.forms import json_object, problem, validated
from gameservices.console.pages import page
from gameservices.console.session import Console, ConsoleRoute, ReadConsole, WriteConsole
from gameservices.console.signin import context
from gameservices.domain.listing import ListQuery
from gameservices.errors import GameServicesError
from gameservices.services.catalog import rule as service

router = APIRouter(prefix="/console/rules", route_class=ConsoleRoute, include_in_schema=False)
READ_ONLY = ("id", "objectType", "partnerId", "createdAt", "updatedAt")
MAX_RULE_TEXT = 200_000
_REQUIRED = required_fields(RuleCreate)
RuleText = Annotated[str, Form(max_length=MAX_RULE_TEXT)]


def starter(game_object_id: str) -> dict[str, Any]:
    """The text a new rule's editor starts with: a watch-time rule (guide 6.7)."""
    return {
        "gameObjectType": "leaderboard",
        "gameObjectId": game_object_id,
        "name": "Watch time",
        "conditions": [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}],
        "type": "sum",
        "mode": "distribute_points",
        "metric": "playTime",
        "groupBy": "kuserId,entryId",
        "goal": 60,
        "points": 10,
    }


def _list(
    console: Console, game_object_id: str, text: str | None, error: GameServicesError | None
) -> Response:
    equals = {"gameObjectId": game_object_id or None}
    with console.read() as conn:
        total, records = service.list_page(
            conn, partner_id=console.partner_id, query=ListQuery(page_size=100, equals=equals)
        )
    more = {
        "rules": [service.view(record) for record in records],
        "total": total,
        "game_object_id": game_object_id,
        "text": text if text is not None else json.dumps(starter(game_object_id), indent=2),
        "error": error and problem(error),
    }
    return page(
        "console/rule_list.html", context(console, "Rules", **more), status_code=400 if error else 200
    )


@router.get("")
def rule_list(
    console: ReadConsole, game_object_id: Annotated[str, Query(alias="gameObjectId", max_length=64)] = ""
) -> Response:
    """The partner's rules (of one game object when named) and the editor of a new rule."""
    return _list(console, game_object_id.strip(), None, None)


@router.post("")
def rule_create(
    console: WriteConsole,
    body: RuleText = "",
    game_object_id: Annotated[str, Form(alias="gameObjectId", max_length=64)] = "",
) -> Response:
    """Create a rule from the editor's JSON (the API's ``rule/create``)."""
    try:
        fields = present_fields(validated(RuleCreate, json_object(body)))
        with console.write() as conn:
            record = service.create(conn, partner_id=console.partner_id, fields=fields)
    except GameServicesError as error:
        return _list(console, game_object_id.strip(), body, error)
    return RedirectResponse(f"/console/rules/{record.id}", status_code=303)


def _detail(console: Console, rule_id: str, text: str | None, error: GameServicesError | None) -> Response:
    with console.read() as conn:
        rule = service.view(service.get(conn, partner_id=console.partner_id, rule_id=rule_id))
    editable = {key: value for key, value in rule.items() if key not in READ_ONLY}
    more = {
        "rule": rule,
        "text": text if text is not None else json.dumps(editable, indent=2),
        "error": error and problem(error),
    }
    return page(
        "console/rule_detail.html", context(console, rule["name"], **more), status_code=400 if error else 200
    )


@router.get("/{rule_id}")
def rule_detail(rule_id: str, console: ReadConsole) -> Response:
    """One rule in the JSON editor."""
    return _detail(console, rule_id, None, None)


@router.post("/{rule_id}")
def rule_update(rule_id: str, console: WriteConsole, body: RuleText = "") -> Response:
    """Save the editor's JSON (the API's ``rule/update``)."""
    try:
        changes = given_fields(validated(RuleUpdate, {**json_object(body), "id": rule_id}))
        with console.write() as conn:
            service.update(conn, partner_id=console.partner_id, changes=changes, required=_REQUIRED)
    except GameServicesError as error:
        return _detail(console, rule_id, body, error)
    return RedirectResponse(f"/console/rules/{rule_id}", status_code=303)


@router.post("/{rule_id}/status")
def rule_status(rule_id: str, console: WriteConsole, status: Annotated[str, Form()] = "") -> Response:
    """Enable or disable the rule."""
    changes = given_fields(validated(RuleUpdate, {"id": rule_id, "status": status}))
    with console.write() as conn:
        service.update(conn, partner_id=console.partner_id, changes=changes, required=_REQUIRED)
    return RedirectResponse(f"/console/rules/{rule_id}", status_code=303)
