"""``gameservices import-events``: external events from a CSV file, straight into the database, with a progress bar.

The same rules as ``event/sendExternalEventsFromCSV``: the whole file is validated first, and applied in one
transaction or not at all. A running server notices the new state through the partner's versions.
"""

import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from gameservices.cli.common import fail
from gameservices.errors import GameServicesError, NotFound
from gameservices.services import csv_import
from gameservices.services.live import LiveState
from gameservices.settings import Settings
from gameservices.storage import partners as partner_repository
from gameservices.storage.database import open_engine, read_transaction, write_transaction


def import_events(
    file: Annotated[
        Path, typer.Argument(help="The CSV file (long or wide layout).", exists=True, dir_okay=False)
    ],
    partner_id: Annotated[int, typer.Option(help="The partner whose game objects score the events.")],
    action: Annotated[str, typer.Option(help="delta (add to scores) or upsert (replace the rule's score).")],
) -> None:
    """Apply external events from a CSV file: the whole file, or nothing when any row is bad."""
    settings = Settings()
    try:
        upload = csv_import.read(file.read_bytes(), score_action=action)
    except csv_import.InvalidCsv as error:
        _fail_with_problems(error)
    except GameServicesError as error:
        fail(error)
    engine = open_engine(settings.database_url)
    live = LiveState()
    try:
        with read_transaction(engine) as conn:
            if not partner_repository.partner_exists(conn, partner_id):
                raise NotFound(f"Partner [{partner_id}] does not exist")
        with (
            typer.progressbar(length=len(upload.events), label="Applying events") as progress,
            live.writing(partner_id) as state,
            write_transaction(engine) as conn,
        ):
            summary = csv_import.apply(
                conn,
                state=state,
                partner_id=partner_id,
                upload=upload,
                received_at=time.time(),
                on_progress=progress.update,
            )
    except csv_import.InvalidCsv as error:
        _fail_with_problems(error)
    except GameServicesError as error:
        fail(error)
    sys.stdout.write(f"Imported {summary['rows']} rows as {summary['events']} events.\n")


def _fail_with_problems(error: csv_import.InvalidCsv) -> NoReturn:
    for problem in error.problems:
        column = f", column {problem.column}" if problem.column else ""
        sys.stderr.write(f"line {problem.line}{column}: {problem.message}\n")
    fail(error)
