"""The service's settings, read once from the environment (prefix ``GAMESERVICES_``) and passed in."""

from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the service; tests build their own instance."""

    model_config = SettingsConfigDict(env_prefix="GAMESERVICES_", extra="ignore")

    database_url: str = "sqlite:///./gameservices.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65_535)
    # Largest JSON request body accepted (event/send carries up to 10,000 events).
    max_body_bytes: int = 16 * 1024 * 1024
    # Largest multipart upload (CSV import).
    max_upload_bytes: int = 50 * 1024 * 1024
    # Peers whose X-Forwarded-For and X-Forwarded-Proto headers are believed (a reverse proxy in front): comma-separated
    # addresses or networks, "*" for any; empty believes none, and the client is the connection's peer. The client
    # address feeds `iprestrict` KSs and the per-address limits.
    forwarded_allow_ips: str = "127.0.0.1"
    # Create a demo partner on the first start of an empty database.
    create_demo_partner: bool = True
    # Requests a partner may send per second before answers turn to 429 (0 disables the limit).
    rate_limit_per_second: int = 0
    # Extra seconds of validity given to KSs minted by the CLI by default.
    default_ks_expiry_seconds: int = 86400
    # Fetch a certificate's background when the certificate is created or changed, refusing one that fails.
    validate_certificate_backgrounds: bool = True
    # Let certificate backgrounds come from private, loopback and link-local addresses (off: SSRF protection).
    allow_private_backgrounds: bool = False
    # Event log entries older than this many days are deleted (0 keeps them forever); replay and verification
    # work within what is kept.
    event_log_retention_days: int = 90
    # How often `serve` writes the derived tables (buckets, the ledger, totals) from its live state, in ms; 0: every
    # event/send call writes them in its own transaction (docs/event-log.md, "Checkpoint").
    checkpoint_interval_ms: int = Field(default=250, ge=0, le=60_000)
    # How often a process serving change streams (`/api/v1/stream`) looks for new changes of their partners (on
    # PostgreSQL another process's commit also wakes it at once).
    stream_poll_seconds: float = 0.25
    # Score the player's beacons only when they carry a USER KS naming the viewer (off: a beacon's `userId`
    # parameter is taken at its word; docs/player-analytics.md).
    beacons_require_ks: bool = False
    # Verifiable certificates (docs/credentials.md). The base URL of the public routes (credentials, verify
    # pages, status lists, issuer keys) as seen from outside; empty: http://<host>:<port>.
    public_url: str = ""
    # The secret that seals every partner's credential signing key; empty turns verifiable certificates off.
    credential_secret: str = ""
    # Requests a client address may send per second to the public credential routes (0 disables the limit).
    public_rate_limit_per_second: int = 20
    # Let webhooks send to private, loopback and link-local addresses (off: the SSRF protection of
    # docs/webhooks.md, the rules of certificate backgrounds).
    allow_private_webhooks: bool = False
    # How long a dispatcher holds a delivery attempt it claimed: another process retries it only after this
    # (a dispatcher killed mid-attempt); longer than an attempt's 10-second timeout.
    webhook_lease_seconds: float = 60.0

    @field_validator("public_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        # Written into every credential as the base of its ids and links: without a scheme and host they are
        # relative, which a verifier resolves against a base of its own (or drops), so the credential would not
        # verify there and its QR code and links would lead nowhere.
        text = value.strip()
        if not text:
            return value
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(
                "GAMESERVICES_PUBLIC_URL must be an absolute http(s) URL without query or fragment"
            )
        return value
