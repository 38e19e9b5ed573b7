"""Bringing a database's schema to the newest Alembic revision."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError

from gameservices.storage.database import open_engine

_MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def is_current(conn: Connection) -> bool:
    """Tell whether the database's schema is at the newest migration."""
    heads = set(ScriptDirectory.from_config(_config()).get_heads())
    return set(MigrationContext.configure(conn).get_current_heads()) == heads


def upgrade(engine: Engine) -> None:
    """Apply every migration the database has not seen yet."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class DatabaseUnusable(Exception):
    """The database cannot be used at all: a URL naming none, or one that cannot be opened (the message says)."""


def open_checked(url: str) -> tuple[Engine, bool]:
    """The engine of the database at ``url`` and whether its schema is at the newest migration; DatabaseUnusable
    when the URL names no database or the database cannot be opened."""
    try:
        engine = open_engine(url)
    except ArgumentError as error:
        raise DatabaseUnusable(f"the database URL cannot be used: {error}") from error
    try:
        with engine.connect() as conn:
            return engine, is_current(conn)
    except DBAPIError as error:
        engine.dispose()
        reason = " ".join(line.strip() for line in str(error.orig).splitlines() if line.strip())
        raise DatabaseUnusable(f"the database cannot be opened: {reason}") from error
