"""Settings of the bot (a part of the one Settings object; prefix TGASSIST_).

The token and TGASSIST_BOT_API_URL are core settings (every process that sends needs them).
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_core import PydanticCustomError


class BotSettings(BaseModel):
    """The bot role: admins, webhook, per-user rate limit, polling."""

    bot_admin_ids: str = Field(
        "",
        description="Comma list of Telegram user ids that get /admin (and the admin command menu)",
    )
    bot_webhook_url: str | None = Field(
        None,
        description="Public HTTPS URL Telegram posts updates to (the API serves it); unset = long polling",
    )
    bot_webhook_secret: SecretStr | None = Field(
        None,
        description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (default: derived from the token)",
    )
    bot_rate_per_sec: float = Field(
        1.0, gt=0, description="Updates a user may send per second on average (token bucket)"
    )
    bot_rate_burst: int = Field(
        8, ge=1, description="Updates a user may send at once before the rate limit answers"
    )
    bot_user_cache_sec: float = Field(
        30.0,
        ge=0,
        description="How long the bot keeps a user's row in memory between updates (changes "
        "through the services drop it at once in every copy; 0 reads it on every update)",
    )
    bot_shared_polling: bool = Field(
        False,
        description="Long polling for several `tgassist bot` copies (set it in every copy): one "
        "copy polls Telegram, every copy answers updates (through the `bot.updates` stream)",
    )
    bot_concurrency: int = Field(
        32,
        ge=1,
        le=1000,
        description="Updates one bot copy answers at once; the rest wait their turn in order (in "
        "Telegram's queue, or the shared stream for another copy), so a burst is answered "
        "first come, first served rather than all of it slowly",
    )
    bot_polling_timeout_sec: int = Field(
        10, ge=0, le=50, description="getUpdates long-poll timeout (seconds)"
    )

    @field_validator("bot_admin_ids")
    @classmethod
    def _ids(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip() and not part.strip().lstrip("-").isdigit():
                raise PydanticCustomError(
                    "cli.settings.not_telegram_id",
                    "{value} is not a Telegram id",
                    {"value": repr(part.strip())},
                )
        return value

    @property
    def admin_ids(self) -> frozenset[int]:
        return frozenset(int(p) for p in self.bot_admin_ids.split(",") if p.strip())
