"""The rules engine's state: buckets, seen values, the score ledger, processed events and entries.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("partners") as batch:
        batch.add_column(sa.Column("state_version", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("rules_version", sa.BigInteger, nullable=False, server_default="0"))
    op.create_table(
        "buckets",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("rule_id", sa.String(64), primary_key=True),
        sa.Column("bucket_key", sa.Text, primary_key=True),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("awarded", sa.Float, nullable=False),
        sa.Column("completed_at", sa.Float, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_buckets_partner_user", "buckets", ["partner_id", "user_id"])
    op.create_table(
        "bucket_values",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("rule_id", sa.String(64), primary_key=True),
        sa.Column("bucket_key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, primary_key=True),
    )
    op.create_table(
        "user_rule_scores",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("game_object_id", sa.String(24), primary_key=True),
        sa.Column("user_id", sa.String(256), primary_key=True),
        sa.Column("rule_id", sa.String(24), primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "user_scores",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("game_object_id", sa.String(24), primary_key=True),
        sa.Column("user_id", sa.String(256), primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reached_at", sa.Float, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
    )
    op.create_table(
        "processed_events",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.String(256), primary_key=True),
    )
    op.create_table(
        "entries",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("entry_id", sa.String(256), primary_key=True),
        sa.Column("entry_name", sa.Text, nullable=True),
        sa.Column("duration", sa.Float, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "entries",
        "processed_events",
        "user_scores",
        "user_rule_scores",
        "bucket_values",
        "buckets",
    ):
        op.drop_table(table)
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("rules_version")
        batch.drop_column("state_version")
