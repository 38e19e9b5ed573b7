"""The change feed: the typed changes each event log entry made, stored with the entry.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (SQLite's batch mode would rebuild the table without WITHOUT ROWID).
    op.add_column("event_log", sa.Column("changes", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event_log") as batch:
        batch.drop_column("changes")
