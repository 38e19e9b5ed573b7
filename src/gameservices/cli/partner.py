"""``gameservices partner``: partners (tenants) and their roles."""

from typing import Annotated

import typer

from gameservices.cli.common import fail, open_database, partner_id_option, print_json
from gameservices.errors import GameServicesError
from gameservices.services.access import partner as partner_service
from gameservices.settings import Settings
from gameservices.storage.database import write_transaction

partner_app = typer.Typer(help="Partners (tenants) and their roles.", no_args_is_help=True)


@partner_app.command("create")
def partner_create(
    name: Annotated[str, typer.Option(help="The partner's name.")],
    partner_id: Annotated[
        int | None, partner_id_option("Partner id to use (default: the next free one).")
    ] = None,
) -> None:
    """Create a partner; prints its partnerId, admin secret and a ready admin KS as JSON."""
    settings = Settings()
    engine = open_database(settings.database_url, upgrade=True)
    try:
        with write_transaction(engine) as conn:
            created = partner_service.create_partner(
                conn, name=name, partner_id=partner_id, ks_expiry_seconds=settings.default_ks_expiry_seconds
            )
    except GameServicesError as error:
        fail(error)
    print_json(created)


@partner_app.command("list")
def partner_list() -> None:
    """List the partners as JSON (without secrets)."""
    engine = open_database(Settings().database_url)
    with write_transaction(engine) as conn:
        print_json(partner_service.list_partners(conn))


@partner_app.command("disable")
def partner_disable(partner_id: Annotated[int, partner_id_option("The partner to disable.")]) -> None:
    """Disable a partner: its KSs are refused."""
    _set_enabled(partner_id, enabled=False)


@partner_app.command("enable")
def partner_enable(partner_id: Annotated[int, partner_id_option("The partner to enable.")]) -> None:
    """Enable a disabled partner again."""
    _set_enabled(partner_id, enabled=True)


@partner_app.command("set-game-services")
def partner_set_game_services(
    partner_id: Annotated[int, partner_id_option("The partner.")],
    enabled: Annotated[
        bool, typer.Option("--enabled/--disabled", help="Turn the partner's game services on or off.")
    ],
) -> None:
    """Turn a partner's game services on or off: when off, every API call of the partner answers 403."""
    engine = open_database(Settings().database_url)
    try:
        with write_transaction(engine) as conn:
            partner_service.set_enabled(conn, partner_id=partner_id, game_services=enabled)
    except GameServicesError as error:
        fail(error)


@partner_app.command("set-role")
def partner_set_role(
    partner_id: Annotated[int, partner_id_option("The partner.")],
    role_id: Annotated[str, typer.Option(help="Role id, as used in setrole:<roleId>.")],
    permissions: Annotated[str, typer.Option(help="Comma-separated: GAME_BASE, GAME_MANAGE.")] = "",
    name: Annotated[str, typer.Option(help="Role name.")] = "",
) -> None:
    """Create or replace a partner role (the permissions a setrole KS is limited to)."""
    granted = [item.strip() for item in permissions.split(",") if item.strip()]
    engine = open_database(Settings().database_url)
    try:
        with write_transaction(engine) as conn:
            partner_service.define_role(
                conn, partner_id=partner_id, role_id=role_id, name=name or role_id, permissions=granted
            )
    except GameServicesError as error:
        fail(error)


def _set_enabled(partner_id: int, *, enabled: bool) -> None:
    engine = open_database(Settings().database_url)
    try:
        with write_transaction(engine) as conn:
            partner_service.set_enabled(conn, partner_id=partner_id, enabled=enabled)
    except GameServicesError as error:
        fail(error)
