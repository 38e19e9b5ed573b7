"""The event log gains an index on `created_at`, which the retention job looks entries up by.

Without it the job's look for entries past the retention read the whole log every minute in every process (on
SQLite through each entry's body too, since `created_at` is stored after it), holding SQLite's write lock while
it read: about half a second per 300,000 entries, however few were due.

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = "0019"
down_revision = "0018"


def upgrade() -> None:
    op.create_index("ix_event_log_created", "event_log", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_event_log_created", table_name="event_log")
