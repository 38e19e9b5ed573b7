"""The derived tables' checkpoint: the log seq they reflect, per partner (until now they were written with every
entry, so they reflected the whole log).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"


def upgrade() -> None:
    op.create_table(
        "log_checkpoints",
        sa.Column(
            "partner_id", sa.Integer, sa.ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.execute("INSERT INTO log_checkpoints (partner_id, seq) SELECT id, log_seq FROM partners")


def downgrade() -> None:
    op.drop_table("log_checkpoints")
