"""Partners, game objects, rules, schedules and user profiles.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("game_services_enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "partner_secrets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("partner_id", sa.Integer, sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_partner_secrets_partner_id", "partner_secrets", ["partner_id"])
    op.create_table(
        "partner_roles",
        sa.Column(
            "partner_id", sa.Integer, sa.ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("role_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("permissions", sa.JSON, nullable=False),
    )
    op.create_table(
        "game_objects",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_game_objects_partner_type_created", "game_objects", ["partner_id", "object_type", "created_at"]
    )
    op.create_table(
        "rules",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("game_object_type", sa.String(32), nullable=False),
        sa.Column("game_object_id", sa.String(24), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_rules_partner_object", "rules", ["partner_id", "game_object_id"])
    op.create_table(
        "scheduled_game_objects",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("game_object_type", sa.String(32), nullable=False),
        sa.Column("game_object_id", sa.String(24), nullable=False),
        sa.Column("scheduled_action", sa.String(16), nullable=False),
        sa.Column("scheduled_date", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("executed_at", sa.BigInteger, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_schedules_due", "scheduled_game_objects", ["status", "scheduled_date"])
    op.create_index("ix_schedules_partner_created", "scheduled_game_objects", ["partner_id", "created_at"])
    op.create_table(
        "user_profiles",
        sa.Column("id", sa.String(24), nullable=False, unique=True),
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.String(256), primary_key=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_user_profiles_partner_created", "user_profiles", ["partner_id", "created_at"])


def downgrade() -> None:
    for table in (
        "user_profiles",
        "scheduled_game_objects",
        "rules",
        "game_objects",
        "partner_roles",
        "partner_secrets",
        "partners",
    ):
        op.drop_table(table)
