"""Prometheus metrics of channel ingestion (parser and imports)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

POSTS_PARSED = Counter(
    "tgassist_parser_posts_total", "Posts saved by the parser or an import, by trigger", ["trigger"]
)
ALBUMS_PARSED = Counter(
    "tgassist_parser_albums_total", "Albums created or updated by the parser or an import"
)
FLOOD_WAITS = Counter(
    "tgassist_parser_flood_waits_total", "Telegram FloodWait errors, by handling", ["handling"]
)
PARSE_SECONDS = Histogram(
    "tgassist_parser_parse_seconds",
    "Duration of one channel's parse, by mode",
    ["mode"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
)
HWM_LAG = Gauge(
    "tgassist_parser_hwm_lag_seconds",
    "Age of the newest saved message of a channel (now − its date)",
    ["channel"],
)
