"""On SQLite, the event log becomes a rowid table (its primary key a separate index), as SQLite advises for rows
far larger than a page.

A WITHOUT ROWID table is one B-tree whose keys are whole rows: an entry's body (a call's events, hundreds of
kilobytes for a large batch) and its changes sit in the key itself, and the interior pages hold copies of such
keys. Seeking a seq compares against them, and SQLite reads a key that spills onto overflow pages in full before
comparing it: every append and every read of the newest entries read megabytes once large entries are in the
log. A rowid table keeps the rows in a B-tree keyed by an integer, and (partner_id, seq) in a small index.
PostgreSQL has no rowid: there this revision changes nothing.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"


def _rebuild(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("event_log", recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}):
        pass


def upgrade() -> None:
    _rebuild(with_rowid=True)


def downgrade() -> None:
    _rebuild(with_rowid=False)
