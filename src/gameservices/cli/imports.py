"""``gameservices import-events``: external events from a CSV file, straight into the database, with a progress bar.

The same rules as ``event/sendExternalEventsFromCSV``: the whole file is validated first, and applied in one
transaction or not at all. A running server notices the new state through the partner's versions.
"""

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from gameservices.cli.common import check_partner, fail, fail_with_problems, open_database, partner_id_option
from gameservices.errors import GameServicesError
from gameservices.projection.live import LiveState
from gameservices.services.scoring import csv_import
from gameservices.settings import Settings


def import_events(
    file: Annotated[
        Path, typer.Argument(help="The CSV file (long or wide layout).", exists=True, dir_okay=False)
    ],
    partner_id: Annotated[int, partner_id_option("The partner whose game objects score the events.")],
    action: Annotated[str, typer.Option(help="delta (add to scores) or upsert (replace the rule's score).")],
) -> None:
    """Apply external events from a CSV file: the whole file, or nothing when any row is bad."""
    settings = Settings()
    try:
        upload = csv_import.read(file.read_bytes(), score_action=action)
    except csv_import.InvalidCsv as error:
        fail_with_problems(error)
    except GameServicesError as error:
        fail(error)
    engine = open_database(settings.database_url)
    live = LiveState()
    try:
        check_partner(engine, partner_id)
        with (
            typer.progressbar(length=len(upload.events), label="Applying events") as progress,
            live.transaction(engine, partner_id) as (state, conn),
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
        fail_with_problems(error)
    except GameServicesError as error:
        fail(error)
    sys.stdout.write(f"Imported {summary['rows']} rows as {summary['events']} events.\n")
