"""Keyword sources: Wordstat v2 and v1, keyword-file imports, and Direct campaign imports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tgassist.campaigns.sources.wordstat import BaseWordstat, WordstatAnswer, WordstatConfig
from tgassist.campaigns.sources.wordstat_v1 import LegacyWordstat
from tgassist.campaigns.sources.wordstat_v2 import SearchApiWordstat

if TYPE_CHECKING:
    import httpx

    from tgassist.core.redis import Redis
    from tgassist.settings import Settings

__all__ = [
    "BaseWordstat",
    "LegacyWordstat",
    "SearchApiWordstat",
    "UserCredentials",
    "WordstatAnswer",
    "WordstatConfig",
    "build_wordstat",
]


@dataclass(frozen=True)
class UserCredentials:
    """A user's own Wordstat credentials from their settings (decrypted): an OAuth token for API v1
    and/or a Search API key with its folder for API v2."""

    oauth_token: str | None = None
    api_key: str | None = None
    folder_id: str | None = None


def build_wordstat(
    settings: Settings,
    redis: Redis,
    http: httpx.AsyncClient,
    user: UserCredentials | None = None,
) -> BaseWordstat | None:
    """The client a build uses: the user's own credential first (their Search API key → v2, else
    their OAuth token → v1), then the server's (TGASSIST_WORDSTAT_API_KEY + FOLDER_ID → v2, else
    TGASSIST_WORDSTAT_OAUTH_TOKEN → v1), else None (offline)."""
    common = dict(
        rate_per_sec=settings.wordstat_rate_per_sec,
        daily_quota=settings.wordstat_daily_quota,
        cache_ttl_sec=settings.wordstat_cache_ttl_sec,
        retries=settings.wordstat_retries,
        backoff_sec=settings.wordstat_backoff_sec,
        num_phrases=settings.wordstat_num_phrases,
        devices=settings.wordstat_devices,
    )
    user = user or UserCredentials()
    if user.api_key and user.folder_id:
        cfg = WordstatConfig(
            settings.wordstat_v2_url,
            user.api_key,
            user.folder_id,
            own=True,
            **common,  # type: ignore[arg-type]
        )
        return SearchApiWordstat(cfg, redis, http)
    if user.oauth_token:
        cfg = WordstatConfig(settings.wordstat_v1_url, user.oauth_token, own=True, **common)  # type: ignore[arg-type]
        return LegacyWordstat(cfg, redis, http)
    if settings.wordstat_api_key and settings.wordstat_folder_id:
        cfg = WordstatConfig(
            settings.wordstat_v2_url,
            settings.wordstat_api_key.get_secret_value(),
            settings.wordstat_folder_id,
            **common,  # type: ignore[arg-type]
        )
        return SearchApiWordstat(cfg, redis, http)
    if settings.wordstat_oauth_token:
        token = settings.wordstat_oauth_token.get_secret_value()
        cfg = WordstatConfig(settings.wordstat_v1_url, token, **common)  # type: ignore[arg-type]
        return LegacyWordstat(cfg, redis, http)
    return None
