"""Recurring leaderboard periods: the closes (pending ones are the scheduler's jobs) and per-period scores.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.create_table(
        "leaderboard_periods",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("game_object_id", sa.String(24), primary_key=True),
        sa.Column("period_index", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", sa.BigInteger, nullable=False),
        sa.Column("starts_at", sa.BigInteger, nullable=False),
        sa.Column("ends_at", sa.BigInteger, nullable=False),
        sa.Column("closed_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_leaderboard_periods_due", "leaderboard_periods", ["status", "due_at"])
    op.create_table(
        "period_scores",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("game_object_id", sa.String(24), primary_key=True),
        sa.Column("period_index", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.String(256), primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reached_at", sa.Float, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("period_scores")
    op.drop_index("ix_leaderboard_periods_due", "leaderboard_periods")
    op.drop_table("leaderboard_periods")
