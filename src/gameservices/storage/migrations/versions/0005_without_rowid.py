"""On SQLite, the engine's narrow state tables keyed by a composite primary key are stored WITHOUT ROWID.

A rowid table keeps each key twice, in the table B-tree and in its primary-key index: every insert writes
both, and every read by key searches the index and then the table. A WITHOUT ROWID table is one
B-tree ordered by its primary key. Each table is rebuilt by Alembic's batch mode (create a copy with the
option, copy the rows, drop the old table, rename the copy, recreate its indexes), which keeps its columns,
primary key and indexes. PostgreSQL has no rowid: there this revision changes nothing.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"

# Narrow rows written while events are processed. Three tables keep their rowid: user_certificates and
# user_profiles carry JSON documents and a second unique key; buckets has a second index, (partner_id,
# user_id), and without a rowid each entry of that index would hold the whole primary key (rule id and bucket
# key) instead of a rowid: the index doubles in size and an event/send commit dirties more pages than before.
TABLES = (
    "bucket_values",
    "user_rule_scores",
    "user_scores",
    "processed_events",
    "entries",
    "user_badges",
)


def _rebuild(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}):
            pass


def upgrade() -> None:
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)
