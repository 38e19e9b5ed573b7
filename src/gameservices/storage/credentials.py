"""Repository of verifiable certificates: issuer keys, status list allocation and signed credentials."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, func, select, update

from gameservices.storage.schema import credential_keys, credential_status_lists, credentials
from gameservices.storage.upsert import upsert


@dataclass(frozen=True, slots=True)
class IssuerKey:
    """A partner's issuer key: the public key as a Multikey and the sealed private key."""

    public_key: str
    sealed_private_key: str


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """A stored credential: where it is found, its status bit, the signed document and its revocation."""

    public_id: str
    partner_id: int
    user_certificate_id: str
    list_id: int
    status_index: int
    document: str
    revoked: bool
    revocation_reason: str | None
    revoked_at: int | None
    created_at: int


def issuer_key(conn: Connection, partner_id: int) -> IssuerKey | None:
    """The partner's key, if it has one yet."""
    row = conn.execute(
        select(credential_keys.c.public_key, credential_keys.c.sealed_private_key).where(
            credential_keys.c.partner_id == partner_id
        )
    ).first()
    return None if row is None else IssuerKey(row.public_key, row.sealed_private_key)


def add_issuer_key(conn: Connection, partner_id: int, key: IssuerKey, *, now: int) -> IssuerKey:
    """Store a new key unless the partner has one already; the partner's key either way."""
    row = {
        "partner_id": partner_id,
        "public_key": key.public_key,
        "sealed_private_key": key.sealed_private_key,
        "created_at": now,
    }
    upsert(conn, credential_keys, [row], keys=("partner_id",), set_=None)
    stored = issuer_key(conn, partner_id)
    assert stored is not None
    return stored


def allocate_index(conn: Connection, partner_id: int, *, list_size: int, now: int) -> tuple[int, int]:
    """A fresh (list id, index) in the partner's newest status list, opening a new list when it is full."""
    newest = conn.execute(
        select(func.max(credential_status_lists.c.list_id)).where(
            credential_status_lists.c.partner_id == partner_id
        )
    ).scalar()
    list_id = int(newest or 1)
    while True:
        upsert(
            conn,
            credential_status_lists,
            [{"partner_id": partner_id, "list_id": list_id, "allocated": 0, "updated_at": now}],
            keys=("partner_id", "list_id"),
            set_=None,
        )
        taken = conn.execute(
            update(credential_status_lists)
            .where(
                (credential_status_lists.c.partner_id == partner_id)
                & (credential_status_lists.c.list_id == list_id)
                & (credential_status_lists.c.allocated < list_size)
            )
            .values(allocated=credential_status_lists.c.allocated + 1)
            .returning(credential_status_lists.c.allocated)
        ).scalar()
        if taken is not None:
            return list_id, int(taken) - 1
        list_id += 1


def add_credential(conn: Connection, record: CredentialRecord) -> None:
    """Store a credential unless the user certificate has one already (the first one stays)."""
    upsert(
        conn,
        credentials,
        [_row(record)],
        keys=("partner_id", "user_certificate_id"),
        set_=None,
    )


def credentials_of(
    conn: Connection, partner_id: int, user_certificate_ids: Iterable[str]
) -> dict[str, CredentialRecord]:
    """The stored credentials of some user certificates, by user certificate id."""
    ids = list(user_certificate_ids)
    if not ids:
        return {}
    rows = conn.execute(
        select(credentials).where(
            (credentials.c.partner_id == partner_id) & credentials.c.user_certificate_id.in_(ids)
        )
    )
    return {row.user_certificate_id: _record(row) for row in rows}


def credential_by_public_id(conn: Connection, public_id: str) -> CredentialRecord | None:
    """A credential by its public id (any partner: the id is the capability)."""
    row = conn.execute(select(credentials).where(credentials.c.public_id == public_id)).first()
    return None if row is None else _record(row)


def set_revoked(
    conn: Connection, record: CredentialRecord, *, revoked: bool, reason: str | None, now: int
) -> None:
    """Revoke or reinstate a credential and mark its status list changed; a credential already in that state
    keeps its revocation time and its list its last change (the same bits sign as the same document), only the
    reason is replaced."""
    flipped = conn.execute(
        update(credentials)
        .where((credentials.c.public_id == record.public_id) & (credentials.c.revoked != revoked))
        .values(revoked=revoked, revoked_at=now if revoked else None)
    ).rowcount
    conn.execute(
        update(credentials)
        .where(credentials.c.public_id == record.public_id)
        .values(revocation_reason=reason)
    )
    if not flipped:
        return
    conn.execute(
        update(credential_status_lists)
        .where(
            (credential_status_lists.c.partner_id == record.partner_id)
            & (credential_status_lists.c.list_id == record.list_id)
        )
        .values(updated_at=now)
    )


def status_list(conn: Connection, partner_id: int, list_id: int) -> tuple[int, list[int]] | None:
    """A status list's last change (epoch ms) and its revoked indexes; None for an unknown list."""
    changed = conn.execute(
        select(credential_status_lists.c.updated_at).where(
            (credential_status_lists.c.partner_id == partner_id)
            & (credential_status_lists.c.list_id == list_id)
        )
    ).scalar()
    if changed is None:
        return None
    revoked = conn.execute(
        select(credentials.c.status_index).where(
            (credentials.c.partner_id == partner_id)
            & (credentials.c.list_id == list_id)
            & credentials.c.revoked.is_(True)
        )
    ).scalars()
    return int(changed), sorted(int(index) for index in revoked)


def _row(record: CredentialRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in CredentialRecord.__slots__}


def _record(row: object) -> CredentialRecord:
    mapping = row._mapping  # type: ignore[attr-defined]
    return CredentialRecord(**{name: mapping[name] for name in CredentialRecord.__slots__})
