"""Prometheus metrics of the core runtime (products add their own in their packages)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

BUS_MESSAGES = Counter(
    "tgassist_bus_messages_total",
    "Stream entries handled, by outcome",
    ["stream", "group", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "tgassist_handler_seconds",
    "Stage handler latency",
    ["stage"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
STREAM_LENGTH = Gauge("tgassist_stream_length", "Entries in a stream", ["stream"])
STREAM_PENDING = Gauge(
    "tgassist_stream_pending", "Delivered but unacknowledged entries", ["stream", "group"]
)
STREAM_LAG = Gauge(
    "tgassist_stream_lag", "Entries not yet delivered to a group", ["stream", "group"]
)
STREAM_DLQ = Gauge("tgassist_stream_dlq", "Entries in the stream's dead-letter stream", ["stream"])
OUTBOX_PUBLISHED = Counter("tgassist_outbox_published_total", "Outbox rows published to the bus")
JOB_RUNS = Counter(
    "tgassist_job_runs_total", "Scheduled job firings, by outcome", ["job", "outcome"]
)
JOB_SECONDS = Histogram("tgassist_job_seconds", "Scheduled job duration", ["job"])
