"""``gameservices db`` and every command naming a partner: a partner that does not exist, or an id no partner can
have (0, negative, past the column's 2**31 - 1), is the command line's plain error and exit code, never a
traceback, and never a success line."""

from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
import typer.main
from sqlalchemy import Engine
from typer.testing import CliRunner

from gameservices.cli import app
from gameservices.storage import schema
from gameservices.storage.database import write_transaction
from gameservices.storage.partners import MAX_PARTNER_ID
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner

UNKNOWN = "999999999"
OUT_OF_RANGE = ["0", "-1", str(MAX_PARTNER_ID + 1), str(2**64)]


@pytest.fixture
def cli(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("GAMESERVICES_DATABASE_URL", database_url)
    return CliRunner()


def _commands_naming_a_partner() -> list[tuple[str, ...]]:
    """Every command of the CLI with a ``--partner-id`` option."""
    found: list[tuple[str, ...]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))
        if any(param.name == "partner_id" for param in getattr(command, "params", [])):
            found.append(path)

    walk(typer.main.get_command(app), ())
    return sorted(found)


def _arguments(command: tuple[str, ...], folder: Path) -> list[str]:
    """What else the command needs, so that only the partner id can be wrong."""
    csv = folder / "rows.csv"
    csv.write_text("userId,score,eventType\nada,1,boothVisit\n")
    others: dict[tuple[str, ...], list[str]] = {
        ("import-events",): [str(csv), "--action", "delta"],
        ("partner", "create"): ["--name", "Bounded"],
        ("partner", "set-game-services"): ["--disabled"],
        ("partner", "set-role"): ["--role-id", "viewer"],
        ("user-profile", "import"): [str(csv)],
    }
    return [*command, *others.get(command, [])]


@pytest.mark.parametrize("verify", [[], ["--verify"]])
def test_replay_of_an_unknown_partner_is_an_error(cli: CliRunner, verify: list[str]) -> None:
    result = cli.invoke(app, ["db", "replay", "--partner-id", UNKNOWN, *verify])
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"error: Partner [{UNKNOWN}] not found\n"


@pytest.mark.parametrize("command", [c for c in _commands_naming_a_partner() if c != ("partner", "create")])
def test_every_command_names_an_unknown_partner_in_one_wording(
    cli: CliRunner, tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = cli.invoke(app, [*_arguments(command, tmp_path), "--partner-id", UNKNOWN])
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: Partner [{UNKNOWN}] not found\n"


@pytest.mark.parametrize("verify", [[], ["--verify"]])
def test_replay_of_a_log_that_lost_its_start_exits_with_an_error(
    cli: CliRunner, api: Api, engine: Engine, partner: Partner, verify: list[str]
) -> None:
    api.ok("leaderboard/create", guide.leaderboard_4_2())
    api.ok("leaderboard/create", guide.leaderboard_4_2())
    with write_transaction(engine) as conn:  # as retention would, had entry 1 aged out
        log = schema.event_log
        conn.execute(sa.delete(log).where(log.c.partner_id == partner.id, log.c.seq == 1))
    result = cli.invoke(app, ["db", "replay", "--partner-id", str(partner.id), *verify])
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, result.output
    line = orjson.loads(result.stdout)
    assert line == {"partnerId": partner.id, "error": f"the log of partner {partner.id} starts at entry 2"}


@pytest.mark.parametrize("command", [["checkpoint"], ["replay"], ["replay", "--verify"]])
def test_db_commands_of_a_known_partner_answer_for_it_alone(
    cli: CliRunner, partner: Partner, command: list[str]
) -> None:
    result = cli.invoke(app, ["db", *command, "--partner-id", str(partner.id)])
    assert result.exit_code == 0, result.output
    assert [line.split(",")[0] for line in result.stdout.splitlines()] == [f'{{"partnerId":{partner.id}']


def test_every_command_naming_a_partner_is_checked_here() -> None:
    assert _commands_naming_a_partner() == [
        ("db", "checkpoint"),
        ("db", "replay"),
        ("import-events",),
        ("ks",),
        ("partner", "create"),
        ("partner", "disable"),
        ("partner", "enable"),
        ("partner", "set-game-services"),
        ("partner", "set-role"),
        ("user-profile", "import"),
    ]


@pytest.mark.parametrize("partner_id", OUT_OF_RANGE)
@pytest.mark.parametrize("command", _commands_naming_a_partner())
def test_an_id_no_partner_can_have_is_a_usage_error(
    cli: CliRunner, tmp_path: Path, command: tuple[str, ...], partner_id: str
) -> None:
    result = cli.invoke(app, [*_arguments(command, tmp_path), "--partner-id", partner_id])
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2 and result.stdout == ""
    assert "Invalid value for '--partner-id'" in result.stderr


# Every command that reads the database without migrating it first, with what else it needs.
_READING_COMMANDS = [
    ["db", "checkpoint"],
    ["db", "replay"],
    ["db", "replay", "--verify"],
    ["partner", "list"],
    ["partner", "disable", "--partner-id", "101"],
    ["partner", "enable", "--partner-id", "101"],
    ["partner", "set-game-services", "--partner-id", "101", "--disabled"],
    ["partner", "set-role", "--partner-id", "101", "--role-id", "viewer"],
    ["ks", "--partner-id", "101"],
    ["import-events", "--partner-id", "101", "--action", "delta"],
    ["user-profile", "import", "--partner-id", "101"],
]


def _with_file(command: list[str], folder: Path) -> list[str]:
    if command[0] in ("import-events", "user-profile"):
        csv = folder / "rows.csv"
        csv.write_text("userId,score,eventType\nada,1,boothVisit\n")
        return [*command, str(csv)]
    return command


def _failing(command: list[str], folder: Path) -> Any:
    """Run a command expected to end with the command line's plain error (exit 1, nothing on stdout)."""
    result = CliRunner().invoke(app, _with_file(command, folder))
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1 and result.stdout == ""
    return result


@pytest.mark.parametrize("command", _READING_COMMANDS, ids=" ".join)
def test_a_database_not_migrated_is_a_plain_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("GAMESERVICES_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = _failing(command, tmp_path)
    assert result.stderr == "error: the database is not migrated: run `gameservices db upgrade` first\n"


@pytest.mark.parametrize(
    "command", [["serve"], ["db", "upgrade"], ["partner", "create", "--name", "N"], *_READING_COMMANDS]
)
def test_a_database_that_cannot_be_opened_is_a_plain_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("GAMESERVICES_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'gameservices.db'}")
    result = _failing(command, tmp_path)
    assert result.stderr.startswith("error: the database cannot be opened: ")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("port", ["0", "-1", "65536", "99999"])
def test_serve_on_a_port_no_socket_can_have_is_a_usage_error(cli: CliRunner, port: str) -> None:
    result = cli.invoke(app, ["serve", "--port", port])
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2 and result.stdout == ""
    assert "Invalid value for '--port'" in result.stderr


@pytest.mark.parametrize("url", ["bogus://x", "not a database url"])
def test_a_database_url_that_names_no_database_is_a_plain_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("GAMESERVICES_DATABASE_URL", url)
    for command in [["db", "upgrade"], *_READING_COMMANDS]:
        result = CliRunner().invoke(app, _with_file(command, tmp_path))
        assert isinstance(result.exception, SystemExit), (command, repr(result.exception))
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr.startswith("error: the database URL cannot be used: ")
        assert len(result.stderr.splitlines()) == 1
