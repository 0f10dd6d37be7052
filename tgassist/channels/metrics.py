"""Prometheus metrics of the channels enrichment pipeline.

Per-stage processed/failed/dead-lettered counts and handler latency come from the core
(`tgassist_bus_messages_total`, `tgassist_handler_seconds`); AI calls, tokens and cost from
`tgassist.ai.metrics`.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ALBUMS_PARSED = Counter(
    "tgassist_albums_parsed_total", "Albums announced by the parser (albums.parsed seen)"
)
ALBUMS_ASSEMBLED = Counter(
    "tgassist_albums_assembled_total",
    "Albums assembled, by outcome (complete | timeout)",
    ["outcome"],
)
ALBUM_ASSEMBLY_SECONDS = Histogram(
    "tgassist_album_assembly_lag_seconds",
    "Time from an album's first pipeline event to its assembly",
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600),
)
ALBUMS_PENDING = Gauge("tgassist_albums_pending", "Albums waiting for items to be analysed")
VISION_SUMMARY_BYTES = Histogram(
    "tgassist_vision_summary_bytes",
    "Size of album vision summary JSON documents",
    buckets=(256, 1024, 4096, 16384, 65536, 262144, 1048576),
)
VISION_MEDIA = Counter(
    "tgassist_vision_media_total",
    "Media through the vision stage, by outcome (ok, reused, skipped, budget, failed, unavailable)",
    ["outcome"],
)
VISION_BUDGET_EXHAUSTED = Counter(
    "tgassist_vision_budget_exhausted_total",
    "Media skipped because the daily vision cap was reached",
)
TAGGING = Counter(
    "tgassist_tagging_total", "Tagging runs, by provider and cache outcome", ["provider", "cache"]
)
CRAWL_FETCHES = Counter(
    "tgassist_crawl_fetches_total", "URLs fetched by the crawler, by outcome", ["outcome"]
)
CRAWL_BYTES = Counter("tgassist_crawl_bytes_total", "Response bytes read by the crawler")
INDEXED_POINTS = Counter("tgassist_index_points_total", "Post vectors upserted to the vector index")
GRAPH_WRITES = Counter(
    "tgassist_graph_writes_total", "Posts and albums written to the graph", ["kind"]
)
