"""``gameservices ks``: mint a session with a partner's admin secret."""

import sys
from typing import Annotated

import typer

from gameservices.auth.ks import KS_TYPE_ADMIN, KS_TYPE_USER
from gameservices.cli.common import fail, open_database, partner_id_option
from gameservices.errors import GameServicesError
from gameservices.services.access import partner as partner_service
from gameservices.services.kaltura.kaltura_session import MAX_EXPIRY_SECONDS
from gameservices.settings import Settings
from gameservices.storage.database import write_transaction


def ks(
    partner_id: Annotated[int, partner_id_option("The partner.")],
    user_id: Annotated[str, typer.Option(help="User id carried by the KS.")] = "",
    ks_type: Annotated[str, typer.Option("--type", help="admin or user.")] = "admin",
    expiry: Annotated[
        int, typer.Option(help="Seconds of validity (1 to ten years).", min=1, max=MAX_EXPIRY_SECONDS)
    ] = 86400,
    privileges: Annotated[str, typer.Option(help="Privileges, e.g. setrole:3,iprestrict:127.0.0.1.")] = "",
) -> None:
    """Mint a KS (v2) with the partner's admin secret."""
    if ks_type not in ("admin", "user"):
        sys.stderr.write("error: --type is admin or user\n")
        raise typer.Exit(code=2)
    engine = open_database(Settings().database_url)
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
        fail(error)
    sys.stdout.write(minted + "\n")
