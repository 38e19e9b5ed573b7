"""KSs ended by API v3 session.end.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "revoked_sessions",
        sa.Column("ks_hash", sa.String(64), primary_key=True),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_revoked_sessions_expires", "revoked_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_revoked_sessions_expires", "revoked_sessions")
    op.drop_table("revoked_sessions")
