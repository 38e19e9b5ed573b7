"""Webhook deliveries: the due index also orders by id, so a claim reads only the attempts it takes (before, under a
backlog, every due delivery was read and sorted by id at each claim).

Revision ID: 0015
Revises: 0013
"""

from alembic import op

revision = "0015"
down_revision = "0013"


def upgrade() -> None:
    op.drop_index("ix_webhook_deliveries_due", "webhook_deliveries")
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_due", "webhook_deliveries")
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"])
