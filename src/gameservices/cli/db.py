"""``gameservices db``: the database schema, the derived tables' checkpoint, and replaying the event log to prove
the tables right."""

import sys
from typing import Annotated

import orjson
import typer

from gameservices.cli.common import check_partner, fail, open_database, partner_id_option
from gameservices.errors import GameServicesError
from gameservices.projection.checkpoint import checkpoint_partner
from gameservices.projection.replay import NotReplayable, replay, verify
from gameservices.services.access import partner as partner_service
from gameservices.settings import Settings
from gameservices.storage.database import Engine, read_transaction

db_app = typer.Typer(help="Database schema and event log.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest version."""
    open_database(Settings().database_url, upgrade=True).dispose()


@db_app.command("checkpoint")
def db_checkpoint(
    partner_id: Annotated[
        int | None, partner_id_option("Only this partner (default: every partner).")
    ] = None,
) -> None:
    """Write the derived tables up to each partner's newest log entry (a running `serve` does it on its own every
    GAMESERVICES_CHECKPOINT_INTERVAL_MS); print one JSON line per partner: the seqs before and after."""
    engine = open_database(Settings().database_url)
    for one in _chosen(engine, partner_id):
        written = checkpoint_partner(engine, one)
        line: dict[str, object] = {"partnerId": one, "written": written is not None}
        if written is not None:
            line.update({"from": written.before, "to": written.seq, "rows": written.rows})
        sys.stdout.write(orjson.dumps(line).decode() + "\n")


@db_app.command("replay")
def db_replay(
    partner_id: Annotated[
        int | None, partner_id_option("Only this partner (default: every partner).")
    ] = None,
    verify_tables: Annotated[
        bool,
        typer.Option("--verify", help="Compare each replay with the stored state; exit 1 on a difference."),
    ] = False,
) -> None:
    """Replay the event log from its first entry; print one JSON line per partner; exit 1 when a partner's log
    cannot be replayed (its line says why)."""
    engine = open_database(Settings().database_url)
    partner_ids = _chosen(engine, partner_id)
    failed = False
    with read_transaction(engine) as conn:
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
                        "badges": verdict.badges,
                        "certificates": verdict.certificates,
                        "closedPeriods": verdict.closed_periods,
                        "ledger": verdict.ledger,
                        "rules": verdict.rules,
                        "gameObjects": verdict.game_objects,
                        "entryDurations": verdict.entry_durations,
                        "unverifiedCertificates": verdict.unverified,
                        "unverifiedLedgers": verdict.unverified_ledgers,
                        "same": verdict.same,
                        "differences": verdict.differences,
                    }
                else:
                    state = replay(conn, one)
                    line = {"partnerId": one, "entries": state.log_seq, "buckets": len(state.buckets)}
            except NotReplayable as error:
                failed = True
                line = {"partnerId": one, "error": str(error)}
            sys.stdout.write(orjson.dumps(line).decode() + "\n")
    if failed:
        raise typer.Exit(code=1)


def _chosen(engine: Engine, partner_id: int | None) -> list[int]:
    """The one partner asked for (the command ends with an error when it does not exist), or every partner."""
    if partner_id is not None:
        try:
            check_partner(engine, partner_id)
        except GameServicesError as error:
            fail(error)
        return [partner_id]
    with read_transaction(engine) as conn:
        return [int(partner["partnerId"]) for partner in partner_service.list_partners(conn)]
