"""``gameservices db``: the database schema."""

import typer

from gameservices.settings import Settings
from gameservices.storage.database import open_engine
from gameservices.storage.migrate import upgrade

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest version."""
    upgrade(open_engine(Settings().database_url))
