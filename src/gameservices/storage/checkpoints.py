"""Repository of the derived tables' checkpoint: the log seq the buckets, the ledger and the totals reflect."""

from sqlalchemy import Connection, insert, select, update

from gameservices.storage.database import in_write_transaction, transaction_notes
from gameservices.storage.schema import log_checkpoints, partners

# The transaction note holding, per partner, the log seq its tables reflect within the transaction.
_TABLES_AT = "tables_at"
# The transaction note holding the partners whose checkpoint row the transaction locked.
_LOCKED = "checkpoint_rows_locked"


def create(conn: Connection, partner_id: int) -> None:
    """A new partner's checkpoint: its tables reflect its (empty) log."""
    conn.execute(insert(log_checkpoints).values(partner_id=partner_id, seq=0))


def read(conn: Connection, partner_id: int) -> int:
    """The seq the partner's derived tables reflect."""
    value = conn.execute(
        select(log_checkpoints.c.seq).where(log_checkpoints.c.partner_id == partner_id)
    ).scalar_one_or_none()
    return _unrecorded(conn, partner_id) if value is None else int(value)


def _unrecorded(conn: Connection, partner_id: int) -> int:
    # A partner without a checkpoint row had its tables written with every entry (data stored before revision
    # 0016, or written straight into the tables): they reflect its whole log.
    value = conn.execute(select(partners.c.log_seq).where(partners.c.id == partner_id)).scalar_one_or_none()
    return 0 if value is None else int(value)


def lock(conn: Connection, partner_id: int) -> int:
    """The seq the partner's derived tables reflect, locking the checkpoint row until the transaction ends (the
    writers of the derived tables take turns on it; SQLite's write transactions take turns anyway)."""
    value = conn.execute(
        select(log_checkpoints.c.seq).where(log_checkpoints.c.partner_id == partner_id).with_for_update()
    ).scalar_one_or_none()
    if in_write_transaction(conn):
        transaction_notes(conn).setdefault(_LOCKED, set()).add(partner_id)
    if value is None:
        seq = _unrecorded(conn, partner_id)
        conn.execute(insert(log_checkpoints).values(partner_id=partner_id, seq=seq))
        return seq
    return int(value)


def locked(conn: Connection, partner_id: int) -> bool:
    """Whether this write transaction holds the partner's checkpoint row (`lock`)."""
    return partner_id in transaction_notes(conn).get(_LOCKED, ())


def advance(conn: Connection, partner_id: int, seq: int) -> None:
    """The partner's derived tables now reflect the log up to `seq` (call with the row locked)."""
    conn.execute(update(log_checkpoints).where(log_checkpoints.c.partner_id == partner_id).values(seq=seq))


def tables_at(conn: Connection, partner_id: int) -> int | None:
    """The log seq the partner's tables reflect within this write transaction, once brought up to the log in it
    (`projection.checkpoint.flush`); None before."""
    found = transaction_notes(conn).get(_TABLES_AT)
    return None if found is None else found.get(partner_id)


def note_tables_at(conn: Connection, partner_id: int, seq: int) -> None:
    """Within this write transaction, the partner's tables now reflect the log up to `seq`."""
    transaction_notes(conn).setdefault(_TABLES_AT, {})[partner_id] = seq


def note_entry(conn: Connection, partner_id: int, seq: int) -> None:
    """An entry whose effects the transaction writes to the tables itself: they now reflect it, as they reflected
    every entry before it (brought up to the log in this transaction, or already at the previous entry).
    RuntimeError when they were not: the entry would hide entries the tables lack from the next load."""
    at = tables_at(conn, partner_id)
    if at is None:
        at = lock(conn, partner_id)
    if at != seq - 1:
        raise RuntimeError(
            f"entry {seq} of partner {partner_id} writes the derived tables, which reflect the log up to "
            f"{at!r} in this transaction: bring them up to it first (projection.checkpoint.flush)"
        )
    advance(conn, partner_id, seq)
    note_tables_at(conn, partner_id, seq)
