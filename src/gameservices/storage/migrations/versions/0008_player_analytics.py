"""The player's analytics beacons: entry settings (categories, virtual event) and per-session play time.

Revision ID: 0008
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"

_ENTRY_COLUMNS = ("categories", "virtual_event_id", "created_at")


def upgrade() -> None:
    # entries is a WITHOUT ROWID table on SQLite (revision 0005): the batch keeps it so when it rebuilds.
    with op.batch_alter_table("entries", table_kwargs={"sqlite_with_rowid": False}) as batch:
        batch.add_column(sa.Column("categories", sa.JSON, nullable=True))
        batch.add_column(sa.Column("virtual_event_id", sa.String(256), nullable=True))
        batch.add_column(sa.Column("created_at", sa.Float, nullable=True))
    op.create_table(
        "player_sessions",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.String(256), primary_key=True),
        sa.Column("entry_id", sa.String(256), primary_key=True),
        sa.Column("session_id", sa.String(256), primary_key=True),
        sa.Column("play_time_sum", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_player_sessions_updated", "player_sessions", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_player_sessions_updated", "player_sessions")
    op.drop_table("player_sessions")
    with op.batch_alter_table(
        "entries", recreate="always", table_kwargs={"sqlite_with_rowid": False}
    ) as batch:
        for name in _ENTRY_COLUMNS:
            batch.drop_column(name)
