"""Repository of the rules engine's state: buckets and their seen values, processed event ids, entries,
and the per-partner versions that tell a process when its cached state is stale."""

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, delete, func, select, update

from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.storage.schema import bucket_values, buckets, entries, partners, processed_events
from gameservices.storage.upsert import upsert

_CHUNK = 500


def encode_key(values: tuple[str, ...]) -> str:
    """The stored form of a bucket's groupBy values."""
    return orjson.dumps(values).decode()


def decode_key(text: str) -> tuple[str, ...]:
    """The groupBy values of a stored bucket key."""
    return tuple(orjson.loads(text))


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


def bump_versions(conn: Connection, partner_id: int, *, state: bool = True, rules: bool = False) -> None:
    """Mark the partner's cached state (and rule set) stale in every process."""
    values = {}
    if state:
        values["state_version"] = partners.c.state_version + 1
    if rules:
        values["rules_version"] = partners.c.rules_version + 1
    conn.execute(update(partners).where(partners.c.id == partner_id).values(**values))


def load_buckets(conn: Connection, partner_id: int) -> dict[BucketKey, Bucket]:
    """Every bucket of the partner, with the values its countUnique buckets have seen."""
    loaded: dict[BucketKey, Bucket] = {}
    for row in conn.execute(select(buckets).where(buckets.c.partner_id == partner_id)):
        loaded[(row.rule_id, decode_key(row.bucket_key))] = Bucket(
            row.user_id,
            progress=row.progress,
            awarded=row.awarded,
            completed_at=row.completed_at,
            updated_at=row.updated_at,
        )
    statement = select(bucket_values.c.rule_id, bucket_values.c.bucket_key, bucket_values.c.value).where(
        bucket_values.c.partner_id == partner_id
    )
    for rule_id, key, value in conn.execute(statement):
        bucket = loaded.get((rule_id, decode_key(key)))
        if bucket is not None:
            if bucket.seen is None:
                bucket.seen = set()
            bucket.seen.add(value)
    return loaded


def save_buckets(
    conn: Connection,
    partner_id: int,
    changed: Mapping[BucketKey, Bucket],
    previous: Mapping[BucketKey, Bucket],
) -> None:
    """Write the changed buckets, and the values their countUnique sets gained since ``previous``."""
    rows: list[dict[str, object]] = []
    seen_rows: list[dict[str, object]] = []
    for (rule_id, values), bucket in changed.items():
        key = encode_key(values)
        rows.append(
            {
                "partner_id": partner_id,
                "rule_id": rule_id,
                "bucket_key": key,
                "user_id": bucket.user_id,
                "progress": bucket.progress,
                "awarded": bucket.awarded,
                "completed_at": bucket.completed_at,
                "updated_at": bucket.updated_at,
            }
        )
        if bucket.seen:
            before = previous.get((rule_id, values))
            old = before.seen if before is not None and before.seen else set()
            seen_rows.extend(
                {"partner_id": partner_id, "rule_id": rule_id, "bucket_key": key, "value": value}
                for value in bucket.seen - old
            )
    upsert(
        conn,
        buckets,
        rows,
        keys=("partner_id", "rule_id", "bucket_key"),
        set_=lambda new: {
            "user_id": new.user_id,
            "progress": new.progress,
            "awarded": new.awarded,
            "completed_at": new.completed_at,
            "updated_at": new.updated_at,
        },
    )
    upsert(conn, bucket_values, seen_rows, keys=("partner_id", "rule_id", "bucket_key", "value"), set_=None)


def delete_buckets_of_rules(conn: Connection, partner_id: int, rule_ids: Iterable[str]) -> None:
    """Remove every bucket (and seen value) of the given rules and of their sub-rules."""
    for rule_id in rule_ids:
        for table in (buckets, bucket_values):
            of_rule = (table.c.rule_id == rule_id) | table.c.rule_id.startswith(
                f"{rule_id}/", autoescape=True
            )
            conn.execute(delete(table).where((table.c.partner_id == partner_id) & of_rule))


def delete_user_buckets(conn: Connection, partner_id: int, rule_ids: Iterable[str], user_id: str) -> None:
    """Remove one user's buckets (and seen values) of the given rules and their sub-rules."""
    for rule_id in rule_ids:
        of_rule = (buckets.c.rule_id == rule_id) | buckets.c.rule_id.startswith(
            f"{rule_id}/", autoescape=True
        )
        keys = conn.execute(
            select(buckets.c.rule_id, buckets.c.bucket_key).where(
                (buckets.c.partner_id == partner_id) & of_rule & (buckets.c.user_id == user_id)
            )
        ).all()
        for row in keys:
            for table in (buckets, bucket_values):
                conn.execute(
                    delete(table).where(
                        (table.c.partner_id == partner_id)
                        & (table.c.rule_id == row.rule_id)
                        & (table.c.bucket_key == row.bucket_key)
                    )
                )


def known_event_ids(conn: Connection, partner_id: int, event_ids: list[str]) -> set[str]:
    """The event ids among these that the partner already sent."""
    known: set[str] = set()
    for start in range(0, len(event_ids), _CHUNK):
        chunk = event_ids[start : start + _CHUNK]
        statement = select(processed_events.c.event_id).where(
            (processed_events.c.partner_id == partner_id) & processed_events.c.event_id.in_(chunk)
        )
        known.update(conn.execute(statement).scalars())
    return known


def record_event_ids(conn: Connection, partner_id: int, event_ids: Iterable[str]) -> None:
    """Remember event ids forever, so a repeated one is ignored."""
    rows = [{"partner_id": partner_id, "event_id": event_id} for event_id in event_ids]
    upsert(conn, processed_events, rows, keys=("partner_id", "event_id"), set_=None)


def save_entries(
    conn: Connection, partner_id: int, seen: Mapping[str, tuple[str | None, float | None, float]]
) -> None:
    """Keep the last seen name and duration of each entry (entry id → (name, duration, time))."""
    rows = [
        {
            "partner_id": partner_id,
            "entry_id": entry_id,
            "entry_name": name,
            "duration": duration,
            "updated_at": at,
        }
        for entry_id, (name, duration, at) in seen.items()
    ]
    upsert(
        conn,
        entries,
        rows,
        keys=("partner_id", "entry_id"),
        # An event that names only one of the two keeps the other one as last seen.
        set_=lambda new: {
            "entry_name": func.coalesce(new.entry_name, entries.c.entry_name),
            "duration": func.coalesce(new.duration, entries.c.duration),
            "updated_at": new.updated_at,
        },
    )


def buckets_of_rules(conn: Connection, partner_id: int, rule_ids: list[str]) -> dict[BucketKey, Bucket]:
    """The buckets of the given rules (without their seen values)."""
    statement = select(buckets).where((buckets.c.partner_id == partner_id) & buckets.c.rule_id.in_(rule_ids))
    return {(row.rule_id, decode_key(row.bucket_key)): _bucket(row) for row in conn.execute(statement)}


def _bucket(row: Any) -> Bucket:
    return Bucket(
        row.user_id,
        progress=row.progress,
        awarded=row.awarded,
        completed_at=row.completed_at,
        updated_at=row.updated_at,
    )


def buckets_of_user(conn: Connection, partner_id: int, user_id: str) -> dict[BucketKey, Bucket]:
    """The buckets whose user is this user (without their seen values)."""
    statement = select(buckets).where((buckets.c.partner_id == partner_id) & (buckets.c.user_id == user_id))
    return {
        (row.rule_id, decode_key(row.bucket_key)): Bucket(
            row.user_id,
            progress=row.progress,
            awarded=row.awarded,
            completed_at=row.completed_at,
            updated_at=row.updated_at,
        )
        for row in conn.execute(statement)
    }


def entry_names(conn: Connection, partner_id: int, entry_ids: list[str]) -> dict[str, str | None]:
    """The last seen names of entries."""
    names: dict[str, str | None] = {}
    for start in range(0, len(entry_ids), _CHUNK):
        chunk = entry_ids[start : start + _CHUNK]
        statement = select(entries.c.entry_id, entries.c.entry_name).where(
            (entries.c.partner_id == partner_id) & entries.c.entry_id.in_(chunk)
        )
        names.update({row.entry_id: row.entry_name for row in conn.execute(statement)})
    return names
