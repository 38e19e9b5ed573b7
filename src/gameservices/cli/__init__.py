"""The ``gameservices`` command: serve the API, migrate the database, manage partners, mint sessions.

One module per command group; this one only assembles them into the Typer application.
"""

import sys

import typer
from pydantic import ValidationError

from gameservices.cli.credential import credential_app
from gameservices.cli.db import db_app
from gameservices.cli.imports import import_events
from gameservices.cli.ks import ks
from gameservices.cli.partner import partner_app
from gameservices.cli.serve import serve
from gameservices.cli.user_profile import user_profile_app
from gameservices.cli.worker import worker

app = typer.Typer(help="Self-hostable Kaltura Game Services (SCM) gamification API.", no_args_is_help=True)
app.command("serve")(serve)
app.add_typer(db_app, name="db")
app.command("worker")(worker)
app.command("import-events")(import_events)
app.add_typer(partner_app, name="partner")
app.add_typer(user_profile_app, name="user-profile")
app.command("ks")(ks)
app.add_typer(credential_app, name="credential")


def main() -> None:
    """Entry point of the ``gameservices`` command. A setting of the environment the service cannot work with
    is one line on stderr per setting, and exit status 1 (not a traceback)."""
    try:
        app()
    except ValidationError as error:
        if error.title != "Settings":
            raise
        for problem in error.errors():
            name = "GAMESERVICES_" + "_".join(str(part) for part in problem["loc"]).upper()
            sys.stderr.write(f"error: {name}: {problem['msg']}\n")
        raise SystemExit(1) from None
