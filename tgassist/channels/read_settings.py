"""Settings of the reader side of channels: search, ask, digests, trends, interests, storage."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ReadSettings(BaseModel):
    """Search, ask, digests, trends, interests and storage usage. Defaults work offline."""

    search_refresh_sec: float = Field(
        2.0,
        ge=0,
        description="A search reads posts indexed since the previous refresh at most this often (s)",
    )
    search_embed_missing_max: int = Field(
        5000,
        ge=0,
        description="Posts not in the vector index yet (or when it is held by another process) embedded by search itself, at most this many per refresh",
    )
    search_recency_half_life_days: float = Field(
        30.0, gt=0, description="Search recency boost: a post this many days old gets half of it"
    )
    search_recency_weight: float = Field(
        0.15, ge=0, description="Largest share added to a fresh post's search score (0 = none)"
    )
    ask_min_confidence: float = Field(
        0.36,
        ge=0,
        le=1,
        description="Below this answer confidence ask says 'not found in your channels'",
    )
    ask_passages: int = Field(6, ge=1, le=20, description="Posts retrieved for an answer")
    digest_default_items: int = Field(10, ge=1, le=50, description="Items of a new digest")
    digest_max_per_channel: int = Field(
        3, ge=1, description="At most this many items of one channel in a digest"
    )
    digest_check_every_min: int = Field(
        15, ge=1, description="How often due digests are looked for and sent (minutes)"
    )
    channels_trends_min_channels: int = Field(
        3, ge=1, description="A trend must be seen in at least this many distinct channels"
    )
    channels_trends_window_hours: int = Field(24, ge=1, description="Trend window (hours)")
    channels_trends_baseline_days: int = Field(
        7, ge=1, description="Trend baseline: the days before the window"
    )
    channels_interest_sync_min: int = Field(
        60, ge=1, description="How often users' interest profiles are rebuilt (minutes)"
    )
    channels_media_quota_bytes: int | None = Field(
        None,
        ge=0,
        description="Media storage quota (bytes); when exceeded, media download pauses (posts are still parsed)",
    )
