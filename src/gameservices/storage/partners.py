"""Repository of partners, their admin secrets and their roles, and the versions and log seq that tell a process
what it lacks."""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from gameservices.storage import checkpoints
from gameservices.storage.prepared import PreparedQuery
from gameservices.storage.schema import partner_roles, partner_secrets, partners, revoked_sessions


@dataclass(frozen=True)
class PartnerRecord:
    """A partner as stored, with its secrets."""

    id: int
    name: str
    enabled: bool
    game_services_enabled: bool
    secrets: tuple[str, ...]
    created_at: int


def insert_partner(conn: Connection, *, partner_id: int, name: str, secret: str, now: int) -> None:
    """Store a new partner with one admin secret."""
    conn.execute(
        insert(partners).values(
            id=partner_id, name=name, enabled=True, game_services_enabled=True, created_at=now, updated_at=now
        )
    )
    checkpoints.create(conn, partner_id)
    add_secret(conn, partner_id=partner_id, secret=secret, now=now)


def add_secret(conn: Connection, *, partner_id: int, secret: str, now: int) -> None:
    """Give a partner one more admin secret."""
    conn.execute(insert(partner_secrets).values(partner_id=partner_id, secret=secret, created_at=now))


def next_partner_id(conn: Connection) -> int:
    """The smallest id above every existing partner (partners start at 100)."""
    highest = conn.execute(select(func.max(partners.c.id))).scalar()
    return max(int(highest or 0) + 1, 100)


def partner_exists(conn: Connection, partner_id: int) -> bool:
    """Tell whether a partner id is taken."""
    return conn.execute(select(partners.c.id).where(partners.c.id == partner_id)).first() is not None


MAX_PARTNER_ID = 2**31 - 1


@dataclass(frozen=True)
class AuthSnapshot:
    """What authenticating a request needs, read in one statement: the partner, whether the KS was ended, and
    the partner's (state, rules) versions at that moment."""

    partner: PartnerRecord
    revoked: bool
    versions: tuple[int, int]


_AUTH_SNAPSHOT = PreparedQuery(
    select(
        partners.c.name,
        partners.c.enabled,
        partners.c.game_services_enabled,
        partners.c.created_at,
        partners.c.state_version,
        partners.c.rules_version,
        select(revoked_sessions.c.ks_hash)
        .where(revoked_sessions.c.ks_hash == bindparam("ks_hash"))
        .scalar_subquery()
        .label("revoked"),
        partner_secrets.c.secret,
    )
    .select_from(partners.outerjoin(partner_secrets, partner_secrets.c.partner_id == partners.c.id))
    .where(partners.c.id == bindparam("partner_id"))
    .order_by(partner_secrets.c.id)
)


def auth_snapshot(
    engine: Engine, *, partner_id: int, ks_hash: str, connection: Any = None
) -> AuthSnapshot | None:
    """The partner, the ended state of a KS (by its hash) and the versions, in one read; None for no partner.

    Read on `connection` (a DBAPI connection the caller owns) when given, else on a pooled one."""
    if not 1 <= partner_id <= MAX_PARTNER_ID:
        return None
    rows = _AUTH_SNAPSHOT.rows(engine, {"partner_id": partner_id, "ks_hash": ks_hash}, connection)
    if not rows:
        return None
    name, enabled, services_enabled, created_at, state_version, rules_version, revoked, _ = rows[0]
    partner = PartnerRecord(
        id=partner_id,
        name=str(name),
        enabled=bool(enabled),
        game_services_enabled=bool(services_enabled),
        secrets=tuple(str(row[-1]) for row in rows if row[-1] is not None),
        created_at=int(created_at),
    )
    return AuthSnapshot(partner, revoked is not None, (int(state_version), int(rules_version)))


def log_seqs(conn: Connection, partner_ids: set[int]) -> dict[int, int]:
    """Each partner's newest event log seq (unknown partners are left out)."""
    if not partner_ids:
        return {}
    rows = conn.execute(
        select(partners.c.id, partners.c.log_seq).where(partners.c.id.in_(sorted(partner_ids)))
    )
    return {int(row.id): int(row.log_seq) for row in rows}


def serves_game_services(conn: Connection, partner_id: int) -> bool:
    """Whether the partner exists, is enabled and has its game services enabled."""
    row = conn.execute(
        select(partners.c.enabled, partners.c.game_services_enabled).where(partners.c.id == partner_id)
    ).first()
    return row is not None and bool(row.enabled) and bool(row.game_services_enabled)


def get_partner(conn: Connection, partner_id: int) -> PartnerRecord | None:
    """Load a partner and its secrets (an id no partner can have is simply unknown)."""
    if not 1 <= partner_id <= MAX_PARTNER_ID:
        return None
    row = conn.execute(select(partners).where(partners.c.id == partner_id)).first()
    if row is None:
        return None
    secrets = conn.execute(
        select(partner_secrets.c.secret)
        .where(partner_secrets.c.partner_id == partner_id)
        .order_by(partner_secrets.c.id)
    ).scalars()
    return PartnerRecord(
        id=row.id,
        name=row.name,
        enabled=row.enabled,
        game_services_enabled=row.game_services_enabled,
        secrets=tuple(secrets),
        created_at=row.created_at,
    )


def list_partners(conn: Connection) -> list[PartnerRecord]:
    """Every partner, by id."""
    ids = conn.execute(select(partners.c.id).order_by(partners.c.id)).scalars().all()
    return [record for partner_id in ids if (record := get_partner(conn, partner_id)) is not None]


def count_partners(conn: Connection) -> int:
    """How many partners exist."""
    return int(conn.execute(select(func.count()).select_from(partners)).scalar_one())


def set_partner_flags(
    conn: Connection,
    *,
    partner_id: int,
    now: int,
    enabled: bool | None = None,
    game_services: bool | None = None,
) -> bool:
    """Enable or disable a partner or its game services; False when the partner does not exist."""
    values: dict[str, object] = {"updated_at": now}
    if enabled is not None:
        values["enabled"] = enabled
    if game_services is not None:
        values["game_services_enabled"] = game_services
    result = conn.execute(update(partners).where(partners.c.id == partner_id).values(**values))
    return result.rowcount > 0


def upsert_role(
    conn: Connection, *, partner_id: int, role_id: str, name: str, permissions: list[str]
) -> None:
    """Create or replace one of a partner's roles."""
    key = (partner_roles.c.partner_id == partner_id) & (partner_roles.c.role_id == role_id)
    if conn.execute(select(partner_roles.c.role_id).where(key)).first() is None:
        conn.execute(
            insert(partner_roles).values(
                partner_id=partner_id, role_id=role_id, name=name, permissions=permissions
            )
        )
    else:
        conn.execute(update(partner_roles).where(key).values(name=name, permissions=permissions))


_ROLE = PreparedQuery(
    select(partner_roles.c.permissions).where(
        (partner_roles.c.partner_id == bindparam("partner_id"))
        & (partner_roles.c.role_id == bindparam("role_id"))
    )
)


def role_permissions_on(
    engine: Engine, connection: Any, *, partner_id: int, role_id: str
) -> frozenset[str] | None:
    """`role_permissions` read on a DBAPI connection the caller owns."""
    rows = _ROLE.rows(engine, {"partner_id": partner_id, "role_id": role_id}, connection)
    if not rows:
        return None
    permissions = rows[0][0]
    # The driver gives the JSON column as text (SQLite) or already decoded (PostgreSQL).
    return frozenset(json.loads(permissions) if isinstance(permissions, str) else permissions)


def role_permissions(conn: Connection, *, partner_id: int, role_id: str) -> frozenset[str] | None:
    """The permissions of a partner's role, or None when the role does not exist."""
    row = conn.execute(
        select(partner_roles.c.permissions).where(
            (partner_roles.c.partner_id == partner_id) & (partner_roles.c.role_id == role_id)
        )
    ).first()
    return None if row is None else frozenset(row.permissions)


def lock_versions(conn: Connection, partner_id: int) -> tuple[int, int]:
    """The partner's (state, rules) versions, locking the partner row until the transaction ends."""
    row = conn.execute(
        select(partners.c.state_version, partners.c.rules_version)
        .where(partners.c.id == partner_id)
        .with_for_update()
    ).one()
    return int(row.state_version), int(row.rules_version)


def read_versions(conn: Connection, partner_id: int) -> tuple[int, int]:
    """The partner's (state, rules) versions."""
    row = conn.execute(
        select(partners.c.state_version, partners.c.rules_version).where(partners.c.id == partner_id)
    ).one()
    return int(row.state_version), int(row.rules_version)
