"""Badges achieved and certificates earned.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "user_badges",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("badge_id", sa.String(24), primary_key=True),
        sa.Column("user_id", sa.String(256), primary_key=True),
        sa.Column("achieved_at", sa.Float, nullable=False),
    )
    op.create_table(
        "user_certificates",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("certificate_id", sa.String(24), primary_key=True),
        sa.Column("user_id", sa.String(256), primary_key=True),
        sa.Column("entry_id", sa.String(256), primary_key=True),
        sa.Column("id", sa.String(24), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("credits", sa.Float, nullable=False),
        sa.Column("rules_data", sa.JSON, nullable=False),
        sa.Column("certified_at", sa.Float, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("user_certificates")
    op.drop_table("user_badges")
