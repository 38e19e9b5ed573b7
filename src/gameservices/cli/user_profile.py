"""``gameservices user-profile``: user profiles from a CSV file, straight into the database, with a progress bar.

The same rules as ``userProfile/importFromCSV``: the whole file is validated first, and applied in one
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
from gameservices.services.profiles import user_profile_csv
from gameservices.services.scoring import csv_import
from gameservices.settings import Settings

user_profile_app = typer.Typer(help="User profiles.", no_args_is_help=True)


@user_profile_app.command("import")
def import_profiles(
    file: Annotated[
        Path,
        typer.Argument(
            help="The CSV file: userId, email, firstName, lastName, fullName, groups (a;b) and profileData "
            "columns.",
            exists=True,
            dir_okay=False,
        ),
    ],
    partner_id: Annotated[int, partner_id_option("The partner whose users these are.")],
    dry_run: Annotated[bool, typer.Option(help="Only validate the file; nothing is written.")] = False,
) -> None:
    """Create or update user profiles from a CSV file: the whole file, or nothing when any row is bad."""
    settings = Settings()
    try:
        upload = user_profile_csv.read(file.read_bytes())
        engine = open_database(settings.database_url)
        check_partner(engine, partner_id)
        if dry_run:
            sys.stdout.write(f"The file is valid: {upload.rows} rows (nothing was written).\n")
            return
        live = LiveState()
        with (
            typer.progressbar(length=len(upload.profiles), label="Importing profiles") as progress,
            live.transaction(engine, partner_id) as (state, conn),
        ):
            summary = user_profile_csv.apply(
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
    sys.stdout.write(f"Imported {summary['rows']} profiles.\n")
