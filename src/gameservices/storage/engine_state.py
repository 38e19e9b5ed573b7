"""Repository of the rules engine's state: buckets and their seen values, processed event ids, entries,
and the per-partner versions that tell a process when its cached state is stale."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Table, bindparam, delete, func, select
from sqlalchemy.dialects import sqlite

from gameservices.domain.buckets import Bucket, BucketKey
from gameservices.storage.schema import bucket_values, buckets, entries, partners, processed_events
from gameservices.storage.upsert import SetClause, upsert

_CHUNK = 500
# SQLite text of each bulk upsert, compiled once per process.
_COMPILED: dict[str, str] = {}
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


def upsert_tuples(
    conn: Connection,
    table: Table,
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    keys: Sequence[str],
    set_: SetClause | None,
) -> None:
    """Insert-or-update rows given as tuples in `names` order (see ``upsert``).

    On SQLite the rows go straight to the driver's executemany with a statement compiled once: building
    SQLAlchemy's per-row parameters costs more than SQLite's own work for a checkpoint of a million rows.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        upsert(conn, table, [dict(zip(names, row, strict=True)) for row in rows], keys=keys, set_=set_)
        return
    cache_key = f"{table.name}:{','.join(names)}:{','.join(keys)}:{set_ is None}"
    sql = _COMPILED.get(cache_key)
    if sql is None:
        statement = sqlite.insert(table).values({name: bindparam(name) for name in names})
        if set_ is None:
            statement = statement.on_conflict_do_nothing(index_elements=list(keys))
        else:
            statement = statement.on_conflict_do_update(
                index_elements=list(keys), set_=set_(statement.excluded)
            )
        compiled = statement.compile(dialect=conn.dialect)
        # The driver takes the values in the statement's order: callers pass them in the table's order.
        if list(compiled.positiontup or ()) != list(names):
            raise ValueError(f"pass {table.name} values in this order: {compiled.positiontup}")
        sql = _COMPILED[cache_key] = str(compiled)
    conn.exec_driver_sql(sql, list(rows))


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
    rows = [(partner_id, event_id) for event_id in event_ids]
    names = ("partner_id", "event_id")
    upsert_tuples(conn, processed_events, names, rows, keys=names, set_=None)


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


def entry_durations(conn: Connection, partner_id: int, entry_ids: list[str]) -> dict[str, float]:
    """The last seen durations of entries (entries without one are left out)."""
    durations: dict[str, float] = {}
    for start in range(0, len(entry_ids), _CHUNK):
        chunk = entry_ids[start : start + _CHUNK]
        statement = select(entries.c.entry_id, entries.c.duration).where(
            (entries.c.partner_id == partner_id)
            & entries.c.entry_id.in_(chunk)
            & entries.c.duration.is_not(None)
        )
        durations.update({row.entry_id: float(row.duration) for row in conn.execute(statement)})
    return durations


def all_entry_durations(conn: Connection, partner_id: int) -> dict[str, float]:
    """The last seen duration of every entry of the partner that has one."""
    statement = select(entries.c.entry_id, entries.c.duration).where(
        (entries.c.partner_id == partner_id) & entries.c.duration.is_not(None)
    )
    return {row.entry_id: float(row.duration) for row in conn.execute(statement)}


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
