"""What every command shares: JSON on stdout, errors on stderr with exit code 1."""

import sys
from typing import Any, NoReturn

import orjson
import typer

from gameservices.errors import GameServicesError, PartnerNotFound
from gameservices.services.scoring.csv_import import InvalidCsv
from gameservices.storage import migrate
from gameservices.storage import partners as partner_repository
from gameservices.storage.database import Engine, read_transaction


def print_json(value: object) -> None:
    """Write one value as a line of JSON on stdout."""
    sys.stdout.write(orjson.dumps(value).decode() + "\n")


def fail(error: GameServicesError) -> NoReturn:
    """Report an error on stderr and end the command with exit code 1."""
    fail_with_message(error.message)


def fail_with_message(message: str) -> NoReturn:
    """Report an error message on stderr and end the command with exit code 1."""
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code=1)


def open_database(url: str, *, upgrade: bool = False) -> Engine:
    """The engine of the database at ``url``, brought to the newest migration when ``upgrade`` is set; the command
    ends with an error when the database cannot be opened, or is not migrated and ``upgrade`` is not set."""
    try:
        engine, current = migrate.open_checked(url)
    except migrate.DatabaseUnusable as error:
        fail_with_message(str(error))
    if upgrade:
        migrate.upgrade(engine)
    elif not current:
        engine.dispose()
        fail_with_message("the database is not migrated: run `gameservices db upgrade` first")
    return engine


def fail_with_problems(error: InvalidCsv) -> NoReturn:
    """Report a refused CSV file, one bad line per line of stderr, and end with exit code 1."""
    for problem in error.problems:
        column = f", column {problem.column}" if problem.column else ""
        sys.stderr.write(f"line {problem.line}{column}: {problem.message}\n")
    fail(error)


def partner_id_option(help_text: str) -> Any:
    """A ``--partner-id`` option that takes only an id a partner can have (1 to 2**31 - 1, the column's range):
    any other is a usage error (exit code 2) before the database is asked."""
    return typer.Option(help=help_text, min=1, max=partner_repository.MAX_PARTNER_ID)


def check_partner(engine: Engine, partner_id: int) -> None:
    """Raise PartnerNotFound unless the partner exists."""
    with read_transaction(engine) as conn:
        if not partner_repository.partner_exists(conn, partner_id):
            raise PartnerNotFound(partner_id)
