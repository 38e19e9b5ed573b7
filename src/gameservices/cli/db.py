"""``gameservices db``: the database schema, and replaying the event log to prove the tables right."""

import sys
from typing import Annotated

import orjson
import typer

from gameservices.projection.replay import NotReplayable, replay, verify
from gameservices.services import partner as partner_service
from gameservices.settings import Settings
from gameservices.storage.database import open_engine, read_transaction
from gameservices.storage.migrate import upgrade

db_app = typer.Typer(help="Database schema and event log.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest version."""
    upgrade(open_engine(Settings().database_url))


@db_app.command("replay")
def db_replay(
    partner_id: Annotated[
        int | None, typer.Option(help="Only this partner (default: every partner).")
    ] = None,
    verify_tables: Annotated[
        bool,
        typer.Option("--verify", help="Compare each replay with the stored state; exit 1 on a difference."),
    ] = False,
) -> None:
    """Replay the event log from its first entry; print one JSON line per partner."""
    engine = open_engine(Settings().database_url)
    failed = False
    with read_transaction(engine) as conn:
        partner_ids = (
            [partner_id]
            if partner_id is not None
            else [partner["partnerId"] for partner in partner_service.list_partners(conn)]
        )
        for one in partner_ids:
            try:
                if verify_tables:
                    verdict = verify(conn, one)
                    failed = failed or not verdict.same
                    line: dict[str, object] = {
                        "partnerId": one,
                        "entries": verdict.entries,
                        "buckets": verdict.buckets,
                        "standings": verdict.standings,
                        "same": verdict.same,
                        "differences": verdict.differences,
                    }
                else:
                    state = replay(conn, one)
                    line = {"partnerId": one, "entries": state.log_seq, "buckets": len(state.buckets)}
            except NotReplayable as error:
                failed = failed or verify_tables
                line = {"partnerId": one, "error": str(error)}
            sys.stdout.write(orjson.dumps(line).decode() + "\n")
    if failed:
        raise typer.Exit(code=1)
