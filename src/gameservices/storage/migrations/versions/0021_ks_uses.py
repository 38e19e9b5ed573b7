"""Uses of each KS carrying the `actionslimit` privilege, counted by every process on the database.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"


def upgrade() -> None:
    op.create_table(
        "ks_uses",
        sa.Column("ks_hash", sa.String(64), primary_key=True),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("uses", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_ks_uses_expires", "ks_uses", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_ks_uses_expires", "ks_uses")
    op.drop_table("ks_uses")
