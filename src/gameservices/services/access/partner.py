"""Partners: creating them with an admin secret, minting their sessions, enabling and disabling them."""

import secrets
import time
from typing import Any

from gameservices.auth.ks import KS_TYPE_ADMIN, mint_ks
from gameservices.domain.timefmt import format_ms, now_ms
from gameservices.errors import Conflict, PartnerNotFound, ValidationFailed
from gameservices.storage import partners as repository
from gameservices.storage.database import Connection

PERMISSIONS = ("GAME_BASE", "GAME_MANAGE")


def create_partner(
    conn: Connection, *, name: str, partner_id: int | None = None, ks_expiry_seconds: int = 86400
) -> dict[str, Any]:
    """Create a partner with a fresh admin secret; return its id, secret and a ready admin KS."""
    if partner_id is None:
        partner_id = repository.next_partner_id(conn)
    elif not 1 <= partner_id <= repository.MAX_PARTNER_ID:
        raise ValidationFailed("partnerId", f"must be an integer from 1 to {repository.MAX_PARTNER_ID}")
    elif repository.partner_exists(conn, partner_id):
        raise Conflict(f"partner {partner_id} already exists", args={"PARTNER_ID": partner_id})
    secret = secrets.token_hex(16)
    repository.insert_partner(conn, partner_id=partner_id, name=name, secret=secret, now=now_ms())
    ks = mint_ks(
        partner_id=partner_id,
        secret=secret,
        type=KS_TYPE_ADMIN,
        expiry_seconds=ks_expiry_seconds,
        now=time.time(),
    )
    return {"partnerId": partner_id, "adminSecret": secret, "ks": ks}


def ensure_demo_partner(conn: Connection) -> dict[str, Any] | None:
    """On an empty database, create the demo partner and return its credentials; else None."""
    if repository.count_partners(conn) > 0:
        return None
    return create_partner(conn, name="Demo partner")


def mint_session(
    conn: Connection,
    *,
    partner_id: int,
    user_id: str = "",
    ks_type: int = KS_TYPE_ADMIN,
    expiry_seconds: int = 86400,
    privileges: str = "",
) -> str:
    """Mint a KS (v2) with the partner's first admin secret."""
    record = repository.get_partner(conn, partner_id)
    if record is None or not record.secrets:
        raise PartnerNotFound(partner_id)
    return mint_ks(
        partner_id=partner_id,
        secret=record.secrets[0],
        user_id=user_id,
        type=ks_type,
        expiry_seconds=expiry_seconds,
        privileges=privileges,
        now=time.time(),
    )


def list_partners(conn: Connection) -> list[dict[str, Any]]:
    """Every partner, without secrets."""
    return [
        {
            "partnerId": record.id,
            "name": record.name,
            "enabled": record.enabled,
            "gameServicesEnabled": record.game_services_enabled,
            "createdAt": format_ms(record.created_at),
        }
        for record in repository.list_partners(conn)
    ]


def set_enabled(
    conn: Connection, *, partner_id: int, enabled: bool | None = None, game_services: bool | None = None
) -> None:
    """Enable or disable a partner, or its game services."""
    if not repository.set_partner_flags(
        conn, partner_id=partner_id, now=now_ms(), enabled=enabled, game_services=game_services
    ):
        raise PartnerNotFound(partner_id)


def define_role(
    conn: Connection, *, partner_id: int, role_id: str, name: str, permissions: list[str]
) -> None:
    """Create or replace a partner role that a ``setrole:<roleId>`` privilege limits a KS to."""
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise ValidationFailed(
            "permissions", f"unknown permission {unknown[0]}; known: {', '.join(PERMISSIONS)}"
        )
    if not repository.partner_exists(conn, partner_id):
        raise PartnerNotFound(partner_id)
    repository.upsert_role(conn, partner_id=partner_id, role_id=role_id, name=name, permissions=permissions)
