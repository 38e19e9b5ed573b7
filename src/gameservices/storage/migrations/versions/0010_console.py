"""The web console's sessions, the big screen's share links and the rank widget's allowed embedding origins.

Revision ID: 0010
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("ks", sa.Text, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_console_sessions_expires", "console_sessions", ["expires_at"])
    op.create_table(
        "display_links",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("share_id", sa.String(64), nullable=False, unique=True),
        sa.Column("game_object_id", sa.String(24), nullable=False),
        sa.Column("top", sa.Integer, nullable=False),
        sa.Column("title", sa.String(256), nullable=True),
        sa.Column("anonymize", sa.Boolean, nullable=False),
        sa.Column("sub_leaderboard_id", sa.String(64), nullable=True),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_display_links_partner_created", "display_links", ["partner_id", "created_at"])
    op.create_table(
        "widget_origins",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("origin", sa.String(256), primary_key=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("widget_origins")
    op.drop_index("ix_display_links_partner_created", "display_links")
    op.drop_table("display_links")
    op.drop_index("ix_console_sessions_expires", "console_sessions")
    op.drop_table("console_sessions")
