"""The tables. Times are integer epoch milliseconds; free-form object fields live in a JSON ``data`` column."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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
    # Bumped by every change to scores, buckets or rules, so each process knows when its cached state is stale.
    Column("state_version", BigInteger, nullable=False, default=0, server_default="0"),
    Column("rules_version", BigInteger, nullable=False, default=0, server_default="0"),
    # The seq of the partner's newest event_log entry (0: none yet); entries are numbered 1, 2, 3, ... gap-free.
    Column("log_seq", BigInteger, nullable=False, default=0, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# Every change that moves a partner's derived state, in order (see docs/event-log.md). `seq` is assigned under the
# partner row's lock together with partners.log_seq; `body` is the entry's JSON (orjson bytes); `changes` the typed
# changes the entry made, as a JSON list of {type, data} (the change feed; NULL: none). A rowid table on SQLite
# (revision 0017): its rows are far larger than a page, and a WITHOUT ROWID table would keep them in its keys.
event_log = Table(
    "event_log",
    metadata,
    Column("partner_id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("changes", LargeBinary, nullable=True),
    # The retention job finds entries by age (revision 0019).
    Index("ix_event_log_created", "created_at"),
)

# The log seq the derived tables (buckets, the ledger, users' totals and per-period totals) reflect, per partner:
# `events` entries after it are in the log only, and a process loading the partner applies them to what it reads
# from the tables (docs/event-log.md, "Checkpoint"). Its row is locked by whoever writes the derived tables.
log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("partner_id", Integer, ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", BigInteger, nullable=False, default=0, server_default="0"),
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

# The rules engine's state: a bucket per rule per groupBy key, and the values a countUnique bucket has seen.
# On SQLite, the narrow tables below keyed by a composite key and written as events are processed are stored
# WITHOUT ROWID: one B-tree ordered by that key instead of a table plus a primary-key index (revision 0005;
# PostgreSQL ignores the option). buckets keeps its rowid: its second index would otherwise carry the whole key.
buckets = Table(
    "buckets",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    # Sub-rules keep buckets too, under "<root rule id>/<sub-rule id>" (revision 0020; "/<position>" before).
    Column("rule_id", String(64), primary_key=True),
    Column("bucket_key", Text, primary_key=True),
    Column("user_id", String(256), nullable=True),
    Column("progress", Float, nullable=False),
    Column("awarded", Float, nullable=False),
    Column("completed_at", Float, nullable=True),
    Column("updated_at", Float, nullable=False),
    Index("ix_buckets_partner_user", "partner_id", "user_id"),
)

bucket_values = Table(
    "bucket_values",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    # Sub-rules keep buckets too, under "<root rule id>/<sub-rule id>" (revision 0020; "/<position>" before).
    Column("rule_id", String(64), primary_key=True),
    Column("bucket_key", Text, primary_key=True),
    Column("value", Text, primary_key=True),
    sqlite_with_rowid=False,
)

# The ledger: each user's points per rule of a game object; a user's score is their sum.
user_rule_scores = Table(
    "user_rule_scores",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    Column("game_object_id", ID, primary_key=True),
    Column("user_id", String(256), primary_key=True),
    Column("rule_id", ID, primary_key=True),
    Column("score", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    sqlite_with_rowid=False,
)

user_scores = Table(
    "user_scores",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    Column("game_object_id", ID, primary_key=True),
    Column("user_id", String(256), primary_key=True),
    Column("score", Float, nullable=False),
    # When the user reached this score (event time, epoch seconds): the earlier ranks higher on ties.
    Column("reached_at", Float, nullable=False),
    Column("hidden", Boolean, nullable=False),
    sqlite_with_rowid=False,
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    Column("event_id", String(256), primary_key=True),
    sqlite_with_rowid=False,
)

entries = Table(
    "entries",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    Column("entry_id", String(256), primary_key=True),
    Column("entry_name", Text, nullable=True),
    Column("duration", Float, nullable=True),
    Column("updated_at", Float, nullable=False),
    # Set by the ``entry`` controller (revision 0008): what the partner says about the entry, for events that
    # do not say it themselves (the player's beacons). created_at is null for entries only events have named.
    Column("categories", JSON, nullable=True),
    Column("virtual_event_id", String(256), nullable=True),
    Column("created_at", Float, nullable=True),
    sqlite_with_rowid=False,
)

# The player's VIEW beacons: the last playTimeSum of each viewing session (revision 0008), so the increase a
# beacon brings is known to every process; written in the transaction of the events it yields.
player_sessions = Table(
    "player_sessions",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    Column("user_id", String(256), primary_key=True),
    Column("entry_id", String(256), primary_key=True),
    Column("session_id", String(256), primary_key=True),
    Column("play_time_sum", Float, nullable=False),
    # The eventIndex of that VIEW (None: kept before revision 0018): an index going down is a reset too.
    Column("event_index", Integer, nullable=True),
    # Receipt time of the last VIEW beacon, epoch seconds: idle sessions are forgotten after a while.
    Column("updated_at", Float, nullable=False),
    Index("ix_player_sessions_updated", "updated_at"),
    sqlite_with_rowid=False,
)

# Achievements, recorded when they happen so that later rule changes never take them back.
user_badges = Table(
    "user_badges",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    Column("badge_id", ID, primary_key=True),
    Column("user_id", String(256), primary_key=True),
    Column("achieved_at", Float, nullable=False),
    sqlite_with_rowid=False,
)

user_certificates = Table(
    "user_certificates",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    Column("certificate_id", ID, primary_key=True),
    Column("user_id", String(256), primary_key=True),
    # "" for a certificate of eligibility "once".
    Column("entry_id", String(256), primary_key=True),
    Column("id", ID, nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("credits", Float, nullable=False),
    Column("rules_data", JSON, nullable=False),
    Column("certified_at", Float, nullable=True),
    Column("updated_at", Float, nullable=False),
)

# KSs ended by API v3 ``session.end``, by a hash of the KS: refused from then on (Kaltura's LOGOUT) until they
# would have expired anyway, when the row may go.
revoked_sessions = Table(
    "revoked_sessions",
    metadata,
    Column("ks_hash", String(64), primary_key=True),
    Column("partner_id", Integer, nullable=False),
    # The KS's own expiry, epoch seconds.
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=False),
    Index("ix_revoked_sessions_expires", "expires_at"),
)

# Uses of each KS that carries `actionslimit` (and only those), by the SHA-256 of the KS as for revoked_sessions:
# counted by every process on the database, forgotten once the KS has expired.
ks_uses = Table(
    "ks_uses",
    metadata,
    Column("ks_hash", String(64), primary_key=True),
    Column("partner_id", Integer, nullable=False),
    # The KS's own expiry, epoch seconds.
    Column("expires_at", BigInteger, nullable=False),
    Column("uses", BigInteger, nullable=False),
    Index("ix_ks_uses_expires", "expires_at"),
)

# Verifiable certificates (DESIGN 9): each partner's issuer key (the private half sealed with the configured
# secret), its Bitstring Status Lists, and one signed credential per user certificate, found by an unguessable
# public id.
credential_keys = Table(
    "credential_keys",
    metadata,
    Column("partner_id", Integer, primary_key=True, autoincrement=False),
    Column("public_key", String(64), nullable=False),
    Column("sealed_private_key", String(256), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

credential_status_lists = Table(
    "credential_status_lists",
    metadata,
    Column("partner_id", Integer, primary_key=True, autoincrement=False),
    Column("list_id", Integer, primary_key=True, autoincrement=False),
    # How many of the list's indexes are given out.
    Column("allocated", Integer, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

credentials = Table(
    "credentials",
    metadata,
    Column("public_id", String(32), primary_key=True),
    Column("partner_id", Integer, nullable=False),
    Column("user_certificate_id", ID, nullable=False),
    Column("list_id", Integer, nullable=False),
    Column("status_index", Integer, nullable=False),
    # The signed credential exactly as served.
    Column("document", Text, nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("revocation_reason", String(1024), nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Index("ux_credentials_certificate", "partner_id", "user_certificate_id", unique=True),
    Index("ix_credentials_status", "partner_id", "list_id", "revoked"),
)

# Signed-in web console sessions, by a SHA-256 of the cookie's token. Each holds the admin KS the console acts
# with, checked on every request exactly as the API checks it (revision 0010).
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("partner_id", Integer, nullable=False),
    Column("ks", Text, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # Epoch seconds.
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_console_sessions_expires", "expires_at"),
)

# Public big-screen links of a leaderboard (``displayLink``): the share id is the unguessable part of the URL.
display_links = Table(
    "display_links",
    metadata,
    Column("id", ID, primary_key=True),
    Column("partner_id", Integer, nullable=False),
    Column("share_id", String(64), nullable=False, unique=True),
    Column("game_object_id", ID, nullable=False),
    Column("top", Integer, nullable=False),
    Column("title", String(256), nullable=True),
    Column("anonymize", Boolean, nullable=False),
    Column("sub_leaderboard_id", String(64), nullable=True),
    # Epoch milliseconds, like the other times of the API's objects.
    Column("expires_at", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_display_links_partner_created", "partner_id", "created_at"),
)

# The origins allowed to embed a partner's rank widget in a frame (its Content-Security-Policy frame-ancestors).
widget_origins = Table(
    "widget_origins",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    Column("origin", String(256), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
)

# Webhook endpoints of a partner (revision 0012, docs/webhooks.md). `secret` signs deliveries; after a rotation
# `previous_secret` signs them too until `previous_secret_expires_at`. Only changes after `since_seq` (the log's
# seq when the webhook was made or last enabled) are delivered to it. `failing_since`: the first failed attempt
# since the last success; five days of failures disable the webhook.
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", ID, primary_key=True),
    Column("partner_id", Integer, nullable=False),
    Column("url", String(2048), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("game_object_ids", JSON, nullable=True),
    Column("description", String(1024), nullable=True),
    Column("status", String(16), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("previous_secret", String(128), nullable=True),
    Column("previous_secret_expires_at", BigInteger, nullable=True),
    Column("since_seq", BigInteger, nullable=False),
    Column("failing_since", BigInteger, nullable=True),
    Column("disabled_reason", String(256), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_webhooks_partner_created", "partner_id", "created_at"),
    Index("ix_webhooks_status_partner", "status", "partner_id"),
)

# One delivery per (webhook, change) and per ``webhook/test``; `payload` is the exact body every attempt sends.
# An attempt is claimed by writing a fresh `lease_token` and `lease_until`: another dispatcher takes the delivery
# only once the lease has run out (its holder died), and an outcome is recorded only under the token it was
# claimed with.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("partner_id", Integer, nullable=False),
    Column("webhook_id", ID, nullable=False),
    Column("change_id", String(48), nullable=True),
    Column("type", String(64), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(1024), nullable=True),
    Column("next_attempt_at", BigInteger, nullable=True),
    Column("lease_token", String(32), nullable=True),
    Column("lease_until", BigInteger, nullable=True),
    Column("delivered_at", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ux_webhook_deliveries_change", "webhook_id", "change_id", unique=True),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at", "id"),
    Index("ix_webhook_deliveries_partner_created", "partner_id", "created_at"),
)

# How far the webhook dispatcher has turned each partner's change feed into deliveries: the last change id
# (seq, index) taken; the row is locked while a dispatcher works on the partner.
webhook_cursors = Table(
    "webhook_cursors",
    metadata,
    Column("partner_id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("change_index", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# Recurring leaderboard periods (revision 0013, docs/periods.md). One row per period end that will close: while
# `pending` it is the scheduler's durable job (due at the period's end plus the grace), claimed exactly once
# across processes; once `closed` it records when the period ran and closed (the projection's closed periods).
leaderboard_periods = Table(
    "leaderboard_periods",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    Column("game_object_id", ID, primary_key=True),
    Column("period_index", Integer, primary_key=True),
    Column("status", String(16), nullable=False),
    # Epoch milliseconds.
    Column("due_at", BigInteger, nullable=False),
    Column("starts_at", BigInteger, nullable=False),
    Column("ends_at", BigInteger, nullable=False),
    Column("closed_at", BigInteger, nullable=True),
    Index("ix_leaderboard_periods_due", "status", "due_at"),
)

# Each user's total in one period of a recurring leaderboard (the all-time total stays in user_scores).
period_scores = Table(
    "period_scores",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    Column("game_object_id", ID, primary_key=True),
    Column("period_index", Integer, primary_key=True),
    Column("user_id", String(256), primary_key=True),
    Column("score", Float, nullable=False),
    Column("reached_at", Float, nullable=False),
    Column("hidden", Boolean, nullable=False),
    sqlite_with_rowid=False,
)
