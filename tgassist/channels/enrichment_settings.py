"""Settings of the channels enrichment pipeline (a part of the one Settings object; prefix TGASSIST_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class EnrichmentSettings(BaseModel):
    """Vision, tagging, crawling, indexing and album assembly. Defaults work offline."""

    vision_enabled: bool = Field(
        True, description="Run the vision stage (OCR + optional LLM vision) on post media"
    )
    vision_llm_enabled: bool = Field(
        False,
        description="Also describe images with the LLM (needs a vision-capable TGASSIST_LLM_MODEL; costs tokens)",
    )
    vision_max_bytes: int = Field(
        15_000_000,
        ge=1,
        description="Media files larger than this are skipped by the vision stage (bytes)",
    )
    vision_min_side_px: int = Field(
        48,
        ge=0,
        description="Images whose shorter side is below this are skipped (icons, emoji, spacers)",
    )
    vision_daily_cap: int = Field(
        5000,
        ge=0,
        description="Max images analysed per UTC day (0 = no cap); over it media are skipped with status budget",
    )

    tagging_max_tags: int = Field(
        8, ge=1, description="Max keyphrase tags per post (topics come on top)"
    )
    tagging_taxonomy_path: Path | None = Field(
        None,
        description="JSON topic taxonomy for offline zero-shot topics (unset = the shipped RU/EN one)",
    )
    tagging_topic_threshold: float = Field(
        0.28, description="Min cosine similarity between a post and a topic for the topic tag"
    )
    tagging_max_topics: int = Field(2, ge=0, description="Max topic tags per post")
    tagging_cache_ttl_sec: int = Field(
        30 * 86400, ge=60, description="How long tags stay cached by text hash in Redis"
    )

    crawl_enabled: bool = Field(
        True, description="Fetch the links of posts and extract their main text"
    )
    crawl_allow_domains: str = Field(
        "", description="Comma list of domains to crawl (subdomains included); empty = every domain"
    )
    crawl_deny_domains: str = Field(
        "",
        description="Comma list of domains never crawled (t.me and telegram.me are always skipped)",
    )
    crawl_max_links_per_post: int = Field(3, ge=0, description="Max links fetched per post")
    crawl_max_bytes: int = Field(
        3_000_000, ge=1024, description="Max response body size; larger pages are cut off"
    )
    crawl_timeout_sec: float = Field(
        20.0, gt=0, description="Total time for one URL, redirects and body included"
    )
    crawl_connect_timeout_sec: float = Field(
        5.0, gt=0, description="Connect timeout of one request"
    )
    crawl_max_redirects: int = Field(
        5, ge=0, description="Max redirects followed (each hop is re-checked)"
    )
    crawl_domain_rate_per_sec: float = Field(
        0.5, gt=0, description="Requests per second to one domain (all workers)"
    )
    crawl_allow_loopback: bool = Field(
        False,
        description="TESTS ONLY: let the crawler fetch from 127.0.0.0/8 and ::1. Never set in production",
    )
    crawl_user_agent: str = Field(
        "Mozilla/5.0 (compatible; tgassist/0.1; +https://github.com/tgassist)",
        description="User-Agent of the crawler",
    )

    index_collection_prefix: str = Field(
        "posts", description="Qdrant collection prefix (model name and size follow)"
    )
    index_text_max_chars: int = Field(
        2000, ge=100, description="Characters of post text + OCR + page title embedded"
    )

    album_state_ttl_sec: int = Field(
        86400, ge=60, description="How long an album's assembly state lives in Redis"
    )
    album_assembly_timeout_sec: float = Field(
        900.0,
        gt=0,
        description="An album not complete after this is assembled with the items it has",
    )
    album_check_every_sec: float = Field(
        60.0, gt=0, description="How often overdue albums are looked for and assembled"
    )
