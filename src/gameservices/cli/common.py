"""What every command shares: JSON on stdout, errors on stderr with exit code 1."""

import sys
from typing import NoReturn

import orjson
import typer

from gameservices.errors import GameServicesError


def print_json(value: object) -> None:
    """Write one value as a line of JSON on stdout."""
    sys.stdout.write(orjson.dumps(value).decode() + "\n")


def fail(error: GameServicesError) -> NoReturn:
    """Report an error on stderr and end the command with exit code 1."""
    sys.stderr.write(f"error: {error.message}\n")
    raise typer.Exit(code=1)
