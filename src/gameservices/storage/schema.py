"""The tables. Times are integer epoch milliseconds; free-form object fields live in a JSON ``data`` column."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

ID = String(24)

partners = Table(
    "partners",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(256), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("game_services_enabled", Boolean, nullable=False, default=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

partner_secrets = Table(
    "partner_secrets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner_id", Integer, ForeignKey("partners.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("secret", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

partner_roles = Table(
    "partner_roles",
    metadata,
    Column("partner_id", Integer, ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", String(64), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("permissions", JSON, nullable=False),
)

game_objects = Table(
    "game_objects",
    metadata,
    Column("id", ID, primary_key=True),
    Column("partner_id", Integer, nullable=False),
    Column("object_type", String(32), nullable=False),
    Column("name", String(256), nullable=False),
    Column("status", String(32), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_game_objects_partner_type_created", "partner_id", "object_type", "created_at"),
)

rules = Table(
    "rules",
    metadata,
    Column("id", ID, primary_key=True),
    Column("partner_id", Integer, nullable=False),
    Column("game_object_type", String(32), nullable=False),
    Column("game_object_id", ID, nullable=False),
    Column("name", String(256), nullable=False),
    Column("status", String(32), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("data", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_rules_partner_object", "partner_id", "game_object_id"),
)

scheduled_game_objects = Table(
    "scheduled_game_objects",
    metadata,
    Column("id", ID, primary_key=True),
    Column("partner_id", Integer, nullable=False),
    Column("game_object_type", String(32), nullable=False),
    Column("game_object_id", ID, nullable=False),
    Column("scheduled_action", String(16), nullable=False),
    Column("scheduled_date", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("executed_at", BigInteger, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_schedules_due", "status", "scheduled_date"),
    Index("ix_schedules_partner_created", "partner_id", "created_at"),
)

user_profiles = Table(
    "user_profiles",
    metadata,
    Column("id", ID, nullable=False, unique=True),
    Column("partner_id", Integer, primary_key=True),
    Column("user_id", String(256), primary_key=True),
    Column("email", String(320), nullable=True),
    Column("data", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_user_profiles_partner_created", "partner_id", "created_at"),
)
