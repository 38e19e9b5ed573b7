"""The console's import screen: a CSV file of external events, checked first (dry run: the row report of the
API's ``event/sendExternalEventsFromCSV`` with ``dryRun``), then applied."""

import time
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from starlette.responses import Response

from gameservices.console.forms import problem
from gameservices.console.pages import page
from gameservices.console.session import Console, ConsoleRoute, ReadConsole, WriteConsole
from gameservices.console.signin import context
from gameservices.errors import GameServicesError
from gameservices.services.scoring import csv_import as service

router = APIRouter(prefix="/console/import", route_class=ConsoleRoute, include_in_schema=False)


def _page(console: Console, status_code: int = 200, **more: Any) -> Response:
    shown = {"result": None, "problems": [], "error": None, "dry_run": True, **more}
    return page(
        "console/event_import.html", context(console, "Import events", **shown), status_code=status_code
    )


@router.get("")
def import_form(console: ReadConsole) -> Response:
    """The upload form."""
    return _page(console)


@router.post("")
def import_upload(
    console: WriteConsole,
    csv_file: Annotated[UploadFile | None, File(alias="csvFile")] = None,
    event_action: Annotated[str, Form(alias="eventAction")] = "delta",
    commit: Annotated[str, Form()] = "",
) -> Response:
    """Check a file (dry run), or apply it when ``commit`` is set: the whole file, or nothing."""
    dry_run = not commit
    received_at = time.time()
    try:
        data = csv_file.file.read() if csv_file is not None else b""
        events = service.read(data, score_action=event_action)
        if dry_run:
            return _page(console, result=events.summary(), dry_run=True)
        with console.write() as conn:
            result = service.apply(
                conn,
                state=console.live.partner(console.partner_id),
                partner_id=console.partner_id,
                upload=events,
                received_at=received_at,
            )
    except service.InvalidCsv as error:
        return _page(console, 400, error=problem(error), problems=error.problem_list(), dry_run=dry_run)
    except GameServicesError as error:
        return _page(console, 400, error=problem(error), dry_run=dry_run)
    return _page(console, result=result, dry_run=False)
