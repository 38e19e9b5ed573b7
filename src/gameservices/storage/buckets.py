"""Repository of the rules engine's buckets (`buckets`) and the values their countUnique sets have seen
(`bucket_values`)."""

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select

from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.storage.schema import bucket_values, buckets
from gameservices.storage.upsert import upsert_tuples

_CHUNK = 500
_BUCKET_COLUMNS = (
    "partner_id",
    "rule_id",
    "bucket_key",
    "user_id",
    "progress",
    "awarded",
    "completed_at",
    "updated_at",
)


def encode_key(values: tuple[str, ...]) -> str:
    """The stored form of a bucket's groupBy values."""
    return orjson.dumps(values).decode()


def decode_key(text: str) -> tuple[str, ...]:
    """The groupBy values of a stored bucket key."""
    return tuple(orjson.loads(text))


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
    rows: list[tuple[Any, ...]] = []
    seen_rows: list[tuple[Any, ...]] = []
    dumps = orjson.dumps
    for (rule_id, values), bucket in changed.items():
        key = dumps(values).decode()  # encode_key, inlined: this loop runs once per changed bucket
        rows.append(
            (
                partner_id,
                rule_id,
                key,
                bucket.user_id,
                bucket.progress,
                bucket.awarded,
                bucket.completed_at,
                bucket.updated_at,
            )
        )
        if bucket.seen:
            before = previous.get((rule_id, values))
            old = before.seen if before is not None and before.seen else set()
            seen_rows.extend((partner_id, rule_id, key, value) for value in bucket.seen - old)
    upsert_tuples(
        conn,
        buckets,
        _BUCKET_COLUMNS,
        rows,
        keys=("partner_id", "rule_id", "bucket_key"),
        # user_id follows from the key (the user part of it, or none): leaving it out of the update spares the
        # (partner_id, user_id) index a rewrite on every change of a bucket.
        set_=lambda new: {
            "progress": new.progress,
            "awarded": new.awarded,
            "completed_at": new.completed_at,
            "updated_at": new.updated_at,
        },
    )
    value_keys = ("partner_id", "rule_id", "bucket_key", "value")
    upsert_tuples(conn, bucket_values, value_keys, seen_rows, keys=value_keys, set_=None)


def save_seen_values(conn: Connection, partner_id: int, seen: Iterable[tuple[BucketKey, str]]) -> None:
    """Add values countUnique buckets have seen (values already stored are left)."""
    dumps = orjson.dumps
    rows = [(partner_id, rule_id, dumps(values).decode(), value) for (rule_id, values), value in seen]
    value_keys = ("partner_id", "rule_id", "bucket_key", "value")
    upsert_tuples(conn, bucket_values, value_keys, rows, keys=value_keys, set_=None)


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


def buckets_of_rules(conn: Connection, partner_id: int, rule_ids: list[str]) -> dict[BucketKey, Bucket]:
    """The buckets of the given rules (without their seen values)."""
    statement = select(buckets).where((buckets.c.partner_id == partner_id) & buckets.c.rule_id.in_(rule_ids))
    return {(row.rule_id, decode_key(row.bucket_key)): _bucket(row) for row in conn.execute(statement)}


def users_of_rules(
    conn: Connection, partner_id: int, rule_ids: list[str], *, user_id: str | None = None
) -> set[str]:
    """The users with a bucket of one of the given rules (`user_id`: that user only, if they have one)."""
    if not rule_ids:
        return set()
    condition = (
        (buckets.c.partner_id == partner_id)
        & buckets.c.rule_id.in_(rule_ids)
        & buckets.c.user_id.is_not(None)
    )
    if user_id is not None:
        condition = condition & (buckets.c.user_id == user_id)
    return {row[0] for row in conn.execute(select(buckets.c.user_id).where(condition).distinct())}


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


def buckets_of_rules_and_users(
    conn: Connection, partner_id: int, rule_ids: list[str], user_ids: list[str]
) -> dict[BucketKey, Bucket]:
    """The buckets of the given rules whose user is one of the given users (without their seen values)."""
    found: dict[BucketKey, Bucket] = {}
    if not rule_ids:
        return found
    for start in range(0, len(user_ids), _CHUNK):
        statement = select(buckets).where(
            (buckets.c.partner_id == partner_id)
            & buckets.c.rule_id.in_(rule_ids)
            & buckets.c.user_id.in_(user_ids[start : start + _CHUNK])
        )
        found.update(
            {(row.rule_id, decode_key(row.bucket_key)): _bucket(row) for row in conn.execute(statement)}
        )
    return found
