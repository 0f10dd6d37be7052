"""Settings of the channels package (a part of the one Settings object; prefix TGASSIST_)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from tgassist.core.errors import SettingError


class ChannelsSettings(BaseModel):
    """Ingestion settings: Telegram access, the parser's schedule, modes, limits and back-off."""

    telegram_api_id: int | None = Field(
        None, description="Telegram API id (my.telegram.org) for live parsing with Telethon"
    )
    telegram_api_hash: SecretStr | None = Field(
        None, description="Telegram API hash (my.telegram.org)"
    )
    telegram_session_name: str = Field(
        "default",
        description="Name of the stored (encrypted) Telethon session that `tgassist channels login` writes",
    )

    media_retention_days: int = Field(
        0,
        ge=0,
        description="Delete the media files of posts older than this many days (posts, OCR and tags stay); 0 = keep forever",
    )
    media_orphan_grace_hours: int = Field(
        24,
        ge=1,
        description="Media files no post refers to any more are deleted after this many hours",
    )

    parser_scheduler_interval_sec: float = Field(
        300, description="Parser tick period: every active channel is parsed"
    )
    parser_mode_override: Literal["auto", "historical", "incremental"] = Field(
        "auto",
        description="auto = historical on a channel's first run, incremental after; or force one mode",
    )
    feature_incremental_parsing_enabled: bool = Field(
        True,
        description="Incremental parsing from the high-water mark; off = every run is a historical back-fill",
    )
    parser_historical_depth: int = Field(
        1000, description="Historical mode: back-fill at most this many latest messages"
    )
    parser_historical_max_age_days: int = Field(
        30, description="Historical mode: skip messages older than this"
    )
    parser_incremental_limit: int = Field(
        5000, description="Incremental mode: at most this many messages per run"
    )
    parser_batch_size: int = Field(100, description="Messages saved per transaction while parsing")
    parser_max_concurrency: int = Field(4, description="Channels parsed at once")
    parser_flood_sleep_threshold_sec: float = Field(
        60,
        description="A FloodWait up to this long is slept through; longer ones are retried with back-off",
    )
    parser_retry_max: int = Field(
        3, description="Retries of a channel after a long FloodWait before giving up this run"
    )
    parser_backoff_base_sec: float = Field(
        30, description="First back-off delay after a long FloodWait; doubles each retry"
    )
    parser_media_max_bytes: int = Field(
        20_000_000,
        description="Media larger than this are not downloaded (recorded as missing, reason too_large)",
    )
    import_batch_size: int = Field(
        2000, description="Messages saved per transaction by `tgassist channels import`"
    )
    import_timezone: str = Field(
        "",
        description="Time zone (IANA name, e.g. Europe/Moscow) of the computer that made a Telegram "
        "Desktop export without date_unixtime (old exports hold local times); empty = UTC, "
        "reported as assumed by `tgassist channels import`",
    )
    album_seen_ttl_sec: int = Field(
        7 * 86400, description="TTL of the Redis album cache `album_seen:{channel}:{grouped_id}`"
    )

    @field_validator("import_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from tgassist.channels.sources.export_zone import zone_of

        value = value.strip()
        if value and zone_of(value) is None:
            raise SettingError("channels.config.import_timezone_unknown", value=value)
        return value
