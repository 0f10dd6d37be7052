"""Keyword sources: Wordstat v2 and v1, keyword-file imports, and Direct campaign imports."""

from __future__ import annotations

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
    "WordstatAnswer",
    "WordstatConfig",
    "build_wordstat",
]


def build_wordstat(
    settings: Settings, redis: Redis, http: httpx.AsyncClient, user_token: str | None = None
) -> BaseWordstat | None:
    """Wordstat v2 when an API key and folder are set, else v1 with an OAuth token (the user's own token
    first, then TGASSIST_WORDSTAT_OAUTH_TOKEN), else None (offline)."""
    common = dict(
        rate_per_sec=settings.wordstat_rate_per_sec,
        daily_quota=settings.wordstat_daily_quota,
        cache_ttl_sec=settings.wordstat_cache_ttl_sec,
        retries=settings.wordstat_retries,
        backoff_sec=settings.wordstat_backoff_sec,
        num_phrases=settings.wordstat_num_phrases,
        devices=settings.wordstat_devices,
    )
    if settings.wordstat_api_key and settings.wordstat_folder_id:
        cfg = WordstatConfig(
            settings.wordstat_v2_url,
            settings.wordstat_api_key.get_secret_value(),
            settings.wordstat_folder_id,
            **common,  # type: ignore[arg-type]
        )
        return SearchApiWordstat(cfg, redis, http)
    token = user_token or (
        settings.wordstat_oauth_token.get_secret_value() if settings.wordstat_oauth_token else None
    )
    if token:
        cfg = WordstatConfig(settings.wordstat_v1_url, token, **common)  # type: ignore[arg-type]
        return LegacyWordstat(cfg, redis, http)
    return None
