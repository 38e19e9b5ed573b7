"""Webhooks: the partners' endpoints, their deliveries (with the claim of each attempt) and the dispatcher's
position in each partner's change feed.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("event_types", sa.JSON, nullable=False),
        sa.Column("game_object_ids", sa.JSON, nullable=True),
        sa.Column("description", sa.String(1024), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("previous_secret", sa.String(128), nullable=True),
        sa.Column("previous_secret_expires_at", sa.BigInteger, nullable=True),
        sa.Column("since_seq", sa.BigInteger, nullable=False),
        sa.Column("failing_since", sa.BigInteger, nullable=True),
        sa.Column("disabled_reason", sa.String(256), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_webhooks_partner_created", "webhooks", ["partner_id", "created_at"])
    op.create_index("ix_webhooks_status_partner", "webhooks", ["status", "partner_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("webhook_id", sa.String(24), nullable=False),
        sa.Column("change_id", sa.String(48), nullable=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_status_code", sa.Integer, nullable=True),
        sa.Column("last_error", sa.String(1024), nullable=True),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=True),
        sa.Column("lease_token", sa.String(32), nullable=True),
        sa.Column("lease_until", sa.BigInteger, nullable=True),
        sa.Column("delivered_at", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ux_webhook_deliveries_change", "webhook_deliveries", ["webhook_id", "change_id"], unique=True
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"])
    op.create_index(
        "ix_webhook_deliveries_partner_created", "webhook_deliveries", ["partner_id", "created_at"]
    )
    op.create_table(
        "webhook_cursors",
        sa.Column("partner_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("change_index", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webhook_cursors")
    op.drop_index("ix_webhook_deliveries_partner_created", "webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", "webhook_deliveries")
    op.drop_index("ux_webhook_deliveries_change", "webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhooks_status_partner", "webhooks")
    op.drop_index("ix_webhooks_partner_created", "webhooks")
    op.drop_table("webhooks")
