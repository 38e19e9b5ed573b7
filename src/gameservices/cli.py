"""The ``gameservices`` command: serve the API, migrate the database, manage partners, mint sessions."""

import sys
from typing import Annotated

import orjson
import typer

from gameservices.auth.ks import KS_TYPE_ADMIN, KS_TYPE_USER
from gameservices.cli_credential import credential_app
from gameservices.cli_import import import_events
from gameservices.cli_worker import worker
from gameservices.errors import GameServicesError
from gameservices.runtime import freeze_loaded_state, tune_for_serving
from gameservices.services import partner as partner_service
from gameservices.settings import Settings
from gameservices.storage.database import Checkpointer, open_engine, read_transaction, write_transaction
from gameservices.storage.migrate import upgrade

app = typer.Typer(help="Self-hostable Kaltura Game Services (SCM) gamification API.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
partner_app = typer.Typer(help="Partners (tenants) and their roles.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.command("worker")(worker)
app.command("import-events")(import_events)
app.add_typer(partner_app, name="partner")
app.add_typer(credential_app, name="credential")


def _print_json(value: object) -> None:
    sys.stdout.write(orjson.dumps(value).decode() + "\n")


def _fail(error: GameServicesError) -> None:
    sys.stderr.write(f"error: {error.message}\n")
    raise typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Start the HTTP API (migrating the database first)."""
    import uvicorn

    from gameservices.api.app import create_app
    from gameservices.scheduler import start_scheduler

    settings = Settings()
    engine = open_engine(settings.database_url)
    upgrade(engine)
    if settings.create_demo_partner:
        with write_transaction(engine) as conn:
            demo = partner_service.ensure_demo_partner(conn)
        if demo is not None:
            sys.stdout.write("Created the demo partner (keep these; they are shown once):\n")
            _print_json(demo)
    sys.stdout.write(f"Serving http://{host}:{port}/api/v1 on {engine.url.render_as_string()}\n")
    sys.stdout.flush()
    application = create_app(settings, engine)
    with read_transaction(engine) as conn:
        # Every partner's rules, buckets and rank indexes are loaded before the first request, not by it.
        application.state.live.warm_up(
            conn, [partner["partnerId"] for partner in partner_service.list_partners(conn)]
        )
    # The loaded state lives as long as the process: keep the collector from scanning it again and again.
    freeze_loaded_state()
    tune_for_serving()
    scheduler = start_scheduler(engine)
    checkpointer = Checkpointer(engine).start()
    try:
        uvicorn.run(application, host=host, port=port, log_level="warning")
    finally:
        scheduler.stop()
        checkpointer.stop()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest version."""
    upgrade(open_engine(Settings().database_url))


@partner_app.command("create")
def partner_create(
    name: Annotated[str, typer.Option(help="The partner's name.")],
    partner_id: Annotated[
        int | None, typer.Option(help="Partner id to use (default: the next free one).")
    ] = None,
) -> None:
    """Create a partner; prints its partnerId, admin secret and a ready admin KS as JSON."""
    settings = Settings()
    engine = open_engine(settings.database_url)
    upgrade(engine)
    try:
        with write_transaction(engine) as conn:
            created = partner_service.create_partner(
                conn, name=name, partner_id=partner_id, ks_expiry_seconds=settings.default_ks_expiry_seconds
            )
    except GameServicesError as error:
        _fail(error)
    _print_json(created)


@partner_app.command("list")
def partner_list() -> None:
    """List the partners as JSON (without secrets)."""
    engine = open_engine(Settings().database_url)
    with write_transaction(engine) as conn:
        _print_json(partner_service.list_partners(conn))


@partner_app.command("disable")
def partner_disable(partner_id: Annotated[int, typer.Option(help="The partner to disable.")]) -> None:
    """Disable a partner: its KSs are refused."""
    _set_enabled(partner_id, enabled=False)


@partner_app.command("enable")
def partner_enable(partner_id: Annotated[int, typer.Option(help="The partner to enable.")]) -> None:
    """Enable a disabled partner again."""
    _set_enabled(partner_id, enabled=True)


@partner_app.command("set-role")
def partner_set_role(
    partner_id: Annotated[int, typer.Option(help="The partner.")],
    role_id: Annotated[str, typer.Option(help="Role id, as used in setrole:<roleId>.")],
    permissions: Annotated[str, typer.Option(help="Comma-separated: GAME_BASE, GAME_MANAGE.")] = "",
    name: Annotated[str, typer.Option(help="Role name.")] = "",
) -> None:
    """Create or replace a partner role (the permissions a setrole KS is limited to)."""
    granted = [item.strip() for item in permissions.split(",") if item.strip()]
    engine = open_engine(Settings().database_url)
    try:
        with write_transaction(engine) as conn:
            partner_service.define_role(
                conn, partner_id=partner_id, role_id=role_id, name=name or role_id, permissions=granted
            )
    except GameServicesError as error:
        _fail(error)


@app.command("ks")
def ks(
    partner_id: Annotated[int, typer.Option(help="The partner.")],
    user_id: Annotated[str, typer.Option(help="User id carried by the KS.")] = "",
    ks_type: Annotated[str, typer.Option("--type", help="admin or user.")] = "admin",
    expiry: Annotated[int, typer.Option(help="Seconds of validity.")] = 86400,
    privileges: Annotated[str, typer.Option(help="Privileges, e.g. setrole:3,iprestrict:127.0.0.1.")] = "",
) -> None:
    """Mint a KS (v2) with the partner's admin secret."""
    if ks_type not in ("admin", "user"):
        sys.stderr.write("error: --type is admin or user\n")
        raise typer.Exit(code=2)
    engine = open_engine(Settings().database_url)
    try:
        with write_transaction(engine) as conn:
            minted = partner_service.mint_session(
                conn,
                partner_id=partner_id,
                user_id=user_id,
                ks_type=KS_TYPE_ADMIN if ks_type == "admin" else KS_TYPE_USER,
                expiry_seconds=expiry,
                privileges=privileges,
            )
    except GameServicesError as error:
        _fail(error)
    sys.stdout.write(minted + "\n")


def _set_enabled(partner_id: int, *, enabled: bool) -> None:
    engine = open_engine(Settings().database_url)
    try:
        with write_transaction(engine) as conn:
            partner_service.set_enabled(conn, partner_id=partner_id, enabled=enabled)
    except GameServicesError as error:
        _fail(error)


def main() -> None:
    """Entry point of the ``gameservices`` command."""
    app()
