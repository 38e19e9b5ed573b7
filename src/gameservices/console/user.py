"""The console's user screen: a user's scores and ranks, badges and certificates across the partner's game
objects (the API's ``userScore/get``, ``userBadge/list`` and ``userCertificateReport/list``)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from gameservices.console.pages import page
from gameservices.console.session import ConsoleRoute, ReadConsole
from gameservices.console.signin import context
from gameservices.domain.listing import ListQuery
from gameservices.errors import NotFound
from gameservices.services.catalog import game_objects
from gameservices.services.catalog.badge import BADGE
from gameservices.services.catalog.certificate import CERTIFICATE
from gameservices.services.catalog.lead_scoring import LEAD_SCORING
from gameservices.services.catalog.leaderboard import LEADERBOARD
from gameservices.services.reports import user_certificates as user_certificate_report
from gameservices.services.standings import user_badge, user_lead_scoring, user_score
from gameservices.storage.database import Connection

router = APIRouter(prefix="/console/users", route_class=ConsoleRoute, include_in_schema=False)
MAX_OBJECTS = 100


def _records(conn: Connection, partner_id: int, kind: Any) -> list[Any]:
    _, records = game_objects.list_page(
        conn, partner_id=partner_id, kind=kind, query=ListQuery(page_size=MAX_OBJECTS)
    )
    return records


def _summary(console: ReadConsole, user_id: str) -> dict[str, list[dict[str, Any]]]:
    scores: list[dict[str, Any]] = []
    badges: list[dict[str, Any]] = []
    certificates: list[dict[str, Any]] = []
    with console.read_tables() as conn:
        for record in _records(conn, console.partner_id, LEADERBOARD):
            try:
                found = user_score.get(
                    conn, live=console.live, partner_id=console.partner_id, record=record, user_id=user_id
                )
            except NotFound:
                continue
            progress = user_score.rule_progress(
                conn, partner_id=console.partner_id, record=record, user_id=user_id
            )
            scores.append({"name": record.name, "id": record.id, **found, "rules": progress["objects"]})
        for record in _records(conn, console.partner_id, BADGE):
            listed = user_badge.list_page(
                conn,
                partner_id=console.partner_id,
                record=record,
                user_id=user_id,
                status=None,
                offset=0,
                limit=1,
            )
            badges += [{"name": record.name, **row} for row in listed["objects"]]
        for record in _records(conn, console.partner_id, CERTIFICATE):
            listed = user_certificate_report.list_page(
                conn,
                partner_id=console.partner_id,
                record=record,
                user_id=user_id,
                entry_id=None,
                status=None,
                offset=0,
                limit=MAX_OBJECTS,
            )
            certificates += [{"name": record.name, **row} for row in listed["objects"]]
        leads = []
        for record in _records(conn, console.partner_id, LEAD_SCORING):
            listed = user_lead_scoring.list_page(
                conn,
                live=console.live,
                partner_id=console.partner_id,
                record=record,
                user_id=user_id,
                offset=0,
                limit=1,
            )
            leads += [{"name": record.name, **row} for row in listed["objects"]]
    return {"scores": scores, "badges": badges, "certificates": certificates, "leads": leads}


@router.get("")
def user_detail(
    console: ReadConsole, user_id: Annotated[str, Query(alias="userId", max_length=256)] = ""
) -> Response:
    """Search a user; their scores, badges and certificates."""
    user_id = user_id.strip()
    found = _summary(console, user_id) if user_id else None
    return page("console/user_detail.html", context(console, "Users", user_id=user_id, found=found))
