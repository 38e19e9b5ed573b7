"""A viewing session keeps the `eventIndex` of its last VIEW beside its `playTimeSum`: the player restarts both
when it resets the session, and a first sum after a reset is not always below the last one (a pause soon after a
VIEW), while the index starts again at 1.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"


def upgrade() -> None:
    with op.batch_alter_table("player_sessions") as batch:
        batch.add_column(sa.Column("event_index", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("player_sessions") as batch:
        batch.drop_column("event_index")
