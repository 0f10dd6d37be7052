"""Settings of the campaigns package (a part of the one Settings object; prefix TGASSIST_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr


class CampaignsSettings(BaseModel):
    """Wordstat access, filtering, clustering, ad generation and export of the campaigns product."""

    wordstat_api_key: SecretStr | None = Field(
        None,
        description="Yandex Search API key (Wordstat v2, `Api-Key` auth); with a folder id enables Wordstat v2",
    )
    wordstat_folder_id: str | None = Field(
        None, description="Yandex Cloud folder id for Wordstat v2 requests"
    )
    wordstat_v2_url: str = Field(
        "https://searchapi.api.cloud.yandex.net",
        description="Base URL of the Yandex Search API (Wordstat v2)",
    )
    wordstat_oauth_token: SecretStr | None = Field(
        None, description="OAuth token for the legacy Wordstat API v1 (used when no v2 key is set)"
    )
    wordstat_v1_url: str = Field(
        "https://api.wordstat.yandex.net", description="Base URL of the legacy Wordstat API v1"
    )
    wordstat_rate_per_sec: float = Field(
        10.0, description="Wordstat requests per second (token bucket in Redis)"
    )
    wordstat_daily_quota: int = Field(
        1000, description="Wordstat requests allowed per UTC day (counted in Redis)"
    )
    wordstat_cache_ttl_sec: int = Field(
        7 * 86400, description="How long Wordstat answers are cached in Redis"
    )
    wordstat_retries: int = Field(
        4, description="Retries on HTTP 429/5xx before the Wordstat stage fails"
    )
    wordstat_backoff_sec: float = Field(
        1.0, description="First Wordstat retry delay; doubles each retry"
    )
    wordstat_num_phrases: int = Field(200, description="Phrases asked per base phrase (numPhrases)")
    wordstat_devices: str = Field(
        "all", description="Devices for Wordstat: all, desktop, phone or tablet"
    )

    campaigns_min_frequency: int = Field(
        0, description="Drop keywords whose known frequency is below this"
    )
    campaigns_max_keywords: int = Field(
        5000, description="Keep at most this many keywords (highest frequency first)"
    )
    campaigns_cluster_threshold: float = Field(
        0.4,
        description="Cosine distance under which a group of up to three phrases joins a larger group",
    )
    campaigns_marker_min: int = Field(
        5,
        description="A narrower query asked by at least this many phrases becomes its own ad group",
    )
    campaigns_max_group_size: int = Field(
        200, description="Largest ad group (Direct allows 200 phrases a group)"
    )
    campaigns_cross_minus: bool = Field(True, description="Add cross-minus words between ad groups")
    campaigns_ads_per_group: int = Field(2, description="Ads generated per ad group")
    campaigns_llm_attempts: int = Field(
        3, description="LLM tries per group (repair/regenerate) before templates"
    )
    campaigns_max_per_user: int = Field(
        20, description="Campaigns a user may keep (archived ones do not count)"
    )
    campaigns_export_dir: Path | None = Field(
        None, description="Where exports are written (default <data_dir>/exports)"
    )
    google_service_account_file: Path | None = Field(
        None,
        description="Google service account JSON for Google Sheets export (unset: XLSX is offered instead)",
    )
