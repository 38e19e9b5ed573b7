"""The event log: every change that moves a partner's derived state, numbered per partner.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.add_column("partners", sa.Column("log_seq", sa.BigInteger, nullable=False, server_default="0"))
    op.create_table(
        "event_log",
        sa.Column("partner_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("event_log")
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("log_seq")
