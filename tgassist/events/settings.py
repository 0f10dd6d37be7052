"""Settings of the events package (a part of the one Settings object; prefix TGASSIST_)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class IcsFeed(BaseModel):
    """One iCalendar feed: a URL or a local path, the zone of its floating times, its city."""

    url: str = Field(description="http(s) URL or a local file path of the .ics feed")
    timezone: str = Field("UTC", description="IANA zone for floating times and all-day dates")
    city: str | None = Field(
        None, description="city code the feed's events belong to (e.g. msk, bali)"
    )
    name: str | None = Field(
        None, description="short name shown in stats (default: the file/URL name)"
    )
    language: str | None = Field(
        None,
        description='language of the titles ("en" keeps them as English titles); default: detect',
    )


class JsonLdPage(BaseModel):
    """One web page (URL or file) that publishes schema.org/Event JSON-LD."""

    url: str = Field(description="http(s) URL or a local file path of the page")
    city: str | None = Field(None, description="city code of the page's events")
    timezone: str = Field("UTC", description="IANA zone for dates given without an offset")
    language: str | None = Field(
        None,
        description='language of the titles ("en" keeps them as English titles); default: detect',
    )


class EventsSettings(BaseModel):
    """Events product: sources, translation, windows. Complex values are JSON in the environment."""

    events_window_days: int = Field(
        60, ge=1, le=366, description="Ingest events starting within this many days"
    )
    events_city_timezones: dict[str, str] = Field(
        {"msk": "Europe/Moscow", "spb": "Europe/Moscow", "bali": "Asia/Makassar"},
        description="City code → IANA time zone (used for 'today', 'weekend' and display)",
    )
    events_http_retries: int = Field(
        3, ge=0, le=10, description="Retries of a failed source request (5xx, 429, network)"
    )
    events_http_backoff_sec: float = Field(
        1.0, ge=0, description="First retry delay; doubles each retry"
    )
    events_http_timeout_sec: float = Field(30.0, gt=0, description="Timeout of one source request")

    events_kudago_enabled: bool = Field(True, description="Ingest KudaGo events")
    events_kudago_base_url: str = Field(
        "https://kudago.com/public-api/v1.4", description="KudaGo public API base URL"
    )
    events_kudago_cities: list[str] = Field(
        ["msk", "spb"], description="KudaGo location slugs to ingest"
    )
    events_kudago_lang_en: bool = Field(
        True, description="Also fetch lang=en and use English titles KudaGo has (no LLM needed)"
    )
    events_kudago_page_size: int = Field(
        100, ge=1, le=100, description="KudaGo page size (API maximum 100)"
    )
    events_kudago_max_pages: int = Field(
        50, ge=1, description="Stop following `next` after this many pages per city"
    )
    events_kudago_rate_per_sec: float = Field(
        3.0, gt=0, description="Self-throttle of KudaGo requests per second"
    )

    events_baliforum_enabled: bool = Field(True, description="Ingest BaliForum events (Bali)")
    events_baliforum_base_url: str = Field(
        "https://baliforum.ru/api/v1", description="BaliForum JSON API base URL"
    )
    events_baliforum_max_pages: int = Field(20, ge=1, description="Stop after this many list pages")
    events_baliforum_details: bool = Field(
        True, description="Fetch each event's detail for its description"
    )
    events_baliforum_rate_per_sec: float = Field(
        3.0, gt=0, description="Self-throttle of BaliForum requests per second"
    )

    events_ics_feeds: list[IcsFeed] = Field(
        [],
        description='iCalendar feeds, JSON: [{"url": "…", "timezone": "Europe/Berlin", "city": "msk"}]',
    )
    events_jsonld_pages: list[JsonLdPage] = Field(
        [], description='Pages with schema.org/Event JSON-LD, JSON: [{"url": "…", "city": "bali"}]'
    )

    events_parse_timeout_sec: float = Field(
        30.0,
        gt=0,
        le=600,
        description="Time budget of parsing one feed or page (off the event loop, in a child process)",
    )
    events_parse_memory_mb: int = Field(
        512, ge=64, description="Memory budget of parsing one feed or page, in MB"
    )
    events_max_per_series: int = Field(
        1000,
        ge=1,
        description="Occurrences kept per repeating series; the rest are skipped and counted",
    )
    events_max_per_feed: int = Field(
        10000, ge=1, description="Events kept per feed or page; the rest are skipped and counted"
    )

    events_ai_enabled: bool = Field(
        True, description="Suggest Bali events with the LLM (only when an LLM is configured)"
    )
    events_ai_locations: list[str] = Field(
        ["Ubud", "Canggu", "Seminyak", "Uluwatu"],
        description="Bali locations the LLM suggests events for",
    )
    events_ai_per_location: int = Field(
        5, ge=1, le=20, description="Events the LLM suggests per location"
    )

    events_translate_description: bool = Field(
        False, description="Translate descriptions RU→EN too"
    )
    events_translate_location: bool = Field(False, description="Translate location names RU→EN too")
    events_backfill_batch: int = Field(500, ge=1, description="Events per backfill batch")
    events_cancel_vanished: bool = Field(
        True, description="Mark upcoming events that vanished from a source as cancelled"
    )
    events_list_cache_sec: float = Field(
        60.0,
        ge=0,
        description=(
            "Seconds a process keeps a city's day list it has read (shared by all readers; "
            "0 = read the database every time)"
        ),
    )
    events_dedupe_radius_km: float = Field(
        1.0, ge=0, description="Two sources' copies closer than this are one event"
    )
    events_ingest_cron: str = Field(
        "0 3,12 * * *",
        description="Crontab of each region's ingest, in the region's local time (night and noon)",
    )
    events_ics_timezone: str = Field(
        "UTC", description="Time zone the iCalendar feeds' ingest cron runs in"
    )
