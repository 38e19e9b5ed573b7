"""Console screens of the ``badge``, ``certificate`` and ``leadScoring`` controllers: list, a JSON editor for
create and edit (the API's request models and validation messages), enable and disable. Their users' progress
is on the users screen."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form
from pydantic import BaseModel
from starlette.responses import RedirectResponse, Response

from gameservices.api.schemas.badge import BadgeCreate, BadgeUpdate
from gameservices.api.schemas.certificate import CertificateCreate, CertificateUpdate
from gameservices.api.schemas.common import given_fields, present_fields
from gameservices.api.schemas.lead_scoring import LeadScoringCreate, LeadScoringUpdate
from gameservices.console.forms import json_object, problem, validated
from gameservices.console.pages import page
from gameservices.console.session import Console, ConsoleRoute, ReadConsole, WriteConsole
from gameservices.console.signin import context
from gameservices.domain.listing import ListQuery
from gameservices.errors import GameServicesError
from gameservices.services.catalog import game_objects as service
from gameservices.services.catalog.badge import BADGE
from gameservices.services.catalog.certificate import CERTIFICATE, check_background
from gameservices.services.catalog.game_objects import GameObjectKind
from gameservices.services.catalog.lead_scoring import LEAD_SCORING
from gameservices.services.reports import user_certificates as user_certificate_report
from gameservices.services.standings import user_lead_scoring

READ_ONLY = ("id", "objectType", "partnerId", "createdAt", "updatedAt")
MAX_TEXT = 200_000
MAX_ISSUED = 200
MAX_LEADS = 1000
Body = Annotated[str, Form(max_length=MAX_TEXT)]


@dataclass(frozen=True)
class Screens:
    """One controller's console screens."""

    path: str
    title: str
    kind: GameObjectKind
    create: type[BaseModel]
    update: type[BaseModel]
    starter: dict[str, Any]
    # Checks against the world outside, as the API's controller does before its transaction.
    precheck: Callable[[Console, dict[str, Any]], None] | None = None


def _certificate_background(console: Console, fields: dict[str, Any]) -> None:
    if console.settings.validate_certificate_backgrounds:
        check_background(fields, loader=console.backgrounds)


_PERIOD = {"startDate": "2026-01-01T00:00:00Z", "endDate": "2026-12-31T23:59:59Z"}
SCREENS = (
    Screens(
        "badges",
        "Badges",
        BADGE,
        BadgeCreate,
        BadgeUpdate,
        {"name": "New badge", "virtualEventIds": [], "rules": []},
    ),
    Screens(
        "certificates",
        "Certificates",
        CERTIFICATE,
        CertificateCreate,
        CertificateUpdate,
        {"name": "New certificate", "status": "disabled", "certificateEligibility": "once"},
        _certificate_background,
    ),
    Screens(
        "leadScorings",
        "Lead scoring",
        LEAD_SCORING,
        LeadScoringCreate,
        LeadScoringUpdate,
        {
            "name": "New lead scoring",
            "status": "enabled",
            **_PERIOD,
            "virtualEventIds": [],
            "scoreGroups": [{"name": "Hot", "range": [100, 99999]}, {"name": "Cold", "range": [0, 99]}],
        },
    ),
)


def _list(console: Console, screens: Screens, text: str | None, error: GameServicesError | None) -> Response:
    with console.read() as conn:
        total, records = service.list_page(
            conn, partner_id=console.partner_id, kind=screens.kind, query=ListQuery(page_size=100)
        )
        objects = [service.view(conn, record, screens.kind) for record in records]
    more = {
        "screens": screens,
        "objects": objects,
        "total": total,
        "text": text if text is not None else json.dumps(screens.starter, indent=2),
        "error": error and problem(error),
    }
    return page(
        "console/game_object_list.html",
        context(console, screens.title, **more),
        status_code=400 if error else 200,
    )


def _detail(
    console: Console, screens: Screens, object_id: str, text: str | None, error: GameServicesError | None
) -> Response:
    with console.read_tables() as conn:
        record = service.get(conn, partner_id=console.partner_id, kind=screens.kind, object_id=object_id)
        shown = service.view(conn, record, screens.kind)
        issued = _issued(console, conn, screens, record)
        groups = _lead_groups(console, conn, screens, record)
    editable = {key: value for key, value in shown.items() if key not in READ_ONLY}
    more = {
        "screens": screens,
        "object": shown,
        "issued": issued,
        "groups": groups,
        "certificate": screens.kind is CERTIFICATE,
        "text": text if text is not None else json.dumps(editable, indent=2),
        "error": error and problem(error),
    }
    status = 400 if error else 200
    return page(
        "console/game_object_detail.html", context(console, shown["name"], **more), status_code=status
    )


def _issued(console: Console, conn: Any, screens: Screens, record: Any) -> list[dict[str, Any]]:
    """A certificate's issued user certificates (the API's ``userCertificateReport/list``)."""
    if screens.kind is not CERTIFICATE:
        return []
    listed = user_certificate_report.list_page(
        conn,
        partner_id=console.partner_id,
        record=record,
        user_id=None,
        entry_id=None,
        status=None,
        offset=0,
        limit=MAX_ISSUED,
    )
    objects: list[dict[str, Any]] = listed["objects"]
    return objects


def _lead_groups(console: Console, conn: Any, screens: Screens, record: Any) -> list[tuple[str, int]]:
    """A lead-scoring profile's score groups with how many of its first leads fall in each."""
    if screens.kind is not LEAD_SCORING:
        return []
    listed = user_lead_scoring.list_page(
        conn,
        live=console.live,
        partner_id=console.partner_id,
        record=record,
        user_id=None,
        offset=0,
        limit=MAX_LEADS,
    )
    counts: dict[str, int] = {}
    for lead in listed["objects"]:
        counts[str(lead["scoreGroup"])] = counts.get(str(lead["scoreGroup"]), 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])


def _checked(console: Console, screens: Screens, fields: dict[str, Any]) -> dict[str, Any]:
    if screens.precheck is not None:
        screens.precheck(console, fields)
    return fields


def screens_router(screens: Screens) -> APIRouter:
    """The router of one controller's screens."""
    router = APIRouter(prefix=f"/console/{screens.path}", route_class=ConsoleRoute, include_in_schema=False)

    @router.get("")
    def list_screen(console: ReadConsole) -> Response:
        return _list(console, screens, None, None)

    @router.post("")
    def create(console: WriteConsole, body: Body = "") -> Response:
        try:
            fields = _checked(console, screens, present_fields(validated(screens.create, json_object(body))))
            with console.write() as conn:
                record = service.create(conn, partner_id=console.partner_id, kind=screens.kind, fields=fields)
        except GameServicesError as error:
            return _list(console, screens, body, error)
        return RedirectResponse(f"/console/{screens.path}/{record.id}", status_code=303)

    @router.get("/{object_id}")
    def detail(object_id: str, console: ReadConsole) -> Response:
        return _detail(console, screens, object_id, None, None)

    @router.post("/{object_id}")
    def update(object_id: str, console: WriteConsole, body: Body = "") -> Response:
        try:
            changes = given_fields(validated(screens.update, {**json_object(body), "id": object_id}))
            _checked(console, screens, changes)
            with console.write() as conn:
                service.update(conn, partner_id=console.partner_id, kind=screens.kind, changes=changes)
        except GameServicesError as error:
            return _detail(console, screens, object_id, body, error)
        return RedirectResponse(f"/console/{screens.path}/{object_id}", status_code=303)

    @router.post("/{object_id}/status")
    def status(object_id: str, console: WriteConsole, status: Annotated[str, Form()] = "") -> Response:
        changes = given_fields(validated(screens.update, {"id": object_id, "status": status}))
        with console.write() as conn:
            service.update(conn, partner_id=console.partner_id, kind=screens.kind, changes=changes)
        return RedirectResponse(f"/console/{screens.path}/{object_id}", status_code=303)

    return router


ROUTERS = tuple(screens_router(screens) for screens in SCREENS)
