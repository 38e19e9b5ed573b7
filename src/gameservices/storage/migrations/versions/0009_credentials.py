"""Verifiable certificates: issuer keys, status lists and signed credentials.

Revision ID: 0009
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "credential_keys",
        sa.Column("partner_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("sealed_private_key", sa.String(256), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "credential_status_lists",
        sa.Column("partner_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("list_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("allocated", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "credentials",
        sa.Column("public_id", sa.String(32), primary_key=True),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("user_certificate_id", sa.String(24), nullable=False),
        sa.Column("list_id", sa.Integer, nullable=False),
        sa.Column("status_index", sa.Integer, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("revocation_reason", sa.String(1024), nullable=True),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ux_credentials_certificate", "credentials", ["partner_id", "user_certificate_id"], unique=True
    )
    op.create_index("ix_credentials_status", "credentials", ["partner_id", "list_id", "revoked"])


def downgrade() -> None:
    op.drop_index("ix_credentials_status", "credentials")
    op.drop_index("ux_credentials_certificate", "credentials")
    op.drop_table("credentials")
    op.drop_table("credential_status_lists")
    op.drop_table("credential_keys")
