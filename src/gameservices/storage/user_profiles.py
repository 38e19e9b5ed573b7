"""Repository of user profiles (the partner's users, keyed by their user id)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from gameservices.domain.listing import ListQuery
from gameservices.storage.listing import fetch_page
from gameservices.storage.schema import user_profiles


@dataclass(frozen=True)
class ProfileRecord:
    """A stored profile; ``data`` holds the API fields other than the user id and e-mail."""

    id: str
    partner_id: int
    user_id: str
    email: str | None
    data: dict[str, Any]
    created_at: int
    updated_at: int


def _key(partner_id: int, user_id: str) -> Any:
    return (user_profiles.c.partner_id == partner_id) & (user_profiles.c.user_id == user_id)


def insert_profile(conn: Connection, record: ProfileRecord) -> None:
    """Store a new profile."""
    conn.execute(insert(user_profiles).values(**record.__dict__))


def insert_profiles(conn: Connection, records: list[ProfileRecord]) -> None:
    """Store new profiles in one statement per batch (an import)."""
    if records:
        conn.execute(insert(user_profiles), [record.__dict__ for record in records])


def get_profile(conn: Connection, *, partner_id: int, user_id: str) -> ProfileRecord | None:
    """Load a user's profile."""
    row = conn.execute(select(user_profiles).where(_key(partner_id, user_id))).first()
    return None if row is None else ProfileRecord(**row._mapping)


def get_profiles(conn: Connection, *, partner_id: int, user_ids: list[str]) -> dict[str, ProfileRecord]:
    """Load the profiles of several users (absent users are left out)."""
    found: dict[str, ProfileRecord] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        statement = select(user_profiles).where(
            (user_profiles.c.partner_id == partner_id) & user_profiles.c.user_id.in_(chunk)
        )
        for row in conn.execute(statement):
            found[row.user_id] = ProfileRecord(**row._mapping)
    return found


def update_profile(conn: Connection, record: ProfileRecord) -> None:
    """Write back a changed profile."""
    conn.execute(
        update(user_profiles)
        .where(_key(record.partner_id, record.user_id))
        .values(email=record.email, data=record.data, updated_at=record.updated_at)
    )


_UPDATE_MANY = (
    update(user_profiles)
    .where(
        (user_profiles.c.partner_id == bindparam("key_partner_id"))
        & (user_profiles.c.user_id == bindparam("key_user_id"))
    )
    .values(email=bindparam("new_email"), data=bindparam("new_data"), updated_at=bindparam("new_updated_at"))
)


def update_profiles(conn: Connection, records: list[ProfileRecord]) -> None:
    """Write back changed profiles in one statement per batch (an import)."""
    if records:
        conn.execute(
            _UPDATE_MANY,
            [
                {
                    "key_partner_id": record.partner_id,
                    "key_user_id": record.user_id,
                    "new_email": record.email,
                    "new_data": record.data,
                    "new_updated_at": record.updated_at,
                }
                for record in records
            ],
        )


def delete_profile(conn: Connection, *, partner_id: int, user_id: str) -> bool:
    """Remove a profile; False when it did not exist."""
    return conn.execute(delete(user_profiles).where(_key(partner_id, user_id))).rowcount > 0


def list_profiles(conn: Connection, *, partner_id: int, query: ListQuery) -> tuple[int, list[ProfileRecord]]:
    """One page of a partner's profiles matching the query, with the total count."""
    total, rows = fetch_page(conn, user_profiles, [user_profiles.c.partner_id == partner_id], query)
    return total, [ProfileRecord(**row) for row in rows]
