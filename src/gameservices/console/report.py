"""The console's report screen: the API's ``report/generate`` files, generated and downloaded."""

from datetime import UTC, datetime
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Query
from starlette.responses import Response

from gameservices.api.report import file_response
from gameservices.api.schemas.report import ReportGenerate, ReportType
from gameservices.console.forms import filled, validated
from gameservices.console.pages import page
from gameservices.console.session import ConsoleRoute, ReadConsole
from gameservices.console.signin import context
from gameservices.domain.listing import MAX_PAGE_SIZE, ListQuery
from gameservices.services.catalog import game_objects
from gameservices.services.catalog.badge import BADGE
from gameservices.services.catalog.certificate import CERTIFICATE
from gameservices.services.catalog.lead_scoring import LEAD_SCORING
from gameservices.services.catalog.leaderboard import LEADERBOARD
from gameservices.services.reports import generate as service
from gameservices.services.standings.user_score import game_object

router = APIRouter(prefix="/console/reports", route_class=ConsoleRoute, include_in_schema=False)
KINDS = (LEADERBOARD, BADGE, CERTIFICATE, LEAD_SCORING)
PAGE_SIZE = MAX_PAGE_SIZE


@router.get("")
def report_form(console: ReadConsole) -> Response:
    """The report form: a game object, a report type, a format."""
    objects: list[dict[str, Any]] = []
    with console.read() as conn:
        for kind in KINDS:
            page_index = 1
            while True:  # every object of the kind (the form lists them all), a page at a time
                query = ListQuery(page_size=PAGE_SIZE, page_index=page_index)
                _, records = game_objects.list_page(
                    conn, partner_id=console.partner_id, kind=kind, query=query
                )
                objects += [{"id": record.id, "name": record.name, "type": kind.entity} for record in records]
                if len(records) < PAGE_SIZE:
                    break
                page_index += 1
    more = {"objects": objects, "report_types": get_args(ReportType)}
    return page("console/report.html", context(console, "Reports", **more))


# Reading a report changes nothing: like the API's report/generate it needs GAME_BASE, and the form is a GET.
@router.get("/download")
def report_download(
    console: ReadConsole,
    game_object_id: Annotated[str, Query(alias="gameObjectId", max_length=64)] = "",
    report_type: Annotated[str, Query(alias="reportType", max_length=64)] = "",
    file_format: Annotated[str, Query(alias="format", max_length=16)] = "csv",
) -> Response:
    """The report file (Content-Disposition: attachment)."""
    fields = filled({"gameObjectId": game_object_id, "reportType": report_type, "format": file_format})
    body = validated(ReportGenerate, fields)
    assert isinstance(body, ReportGenerate)
    with console.read() as conn:
        record = game_object(
            conn, partner_id=console.partner_id, game_object_id=body.gameObjectId, game_object_type=None
        )
    report = service.plan(
        partner_id=console.partner_id,
        record=record,
        report_type=body.reportType,
        file_format=body.format,
        summary=body.summary,
        day=datetime.now(UTC).date(),
    )

    # Written whole before the answer starts, as the API does: an error is an error page, not a short file.
    with console.read_tables() as conn:
        pieces = service.render(conn, live=console.live, report=report)
        return file_response(report, pieces, {"Cache-Control": "no-store"})
