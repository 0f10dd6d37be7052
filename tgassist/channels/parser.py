"""ChannelParser (issue: channels ingestion) — placeholder exports until it lands."""

from __future__ import annotations

from tgassist.core.product import HealthCheck, Job

JOBS: tuple[Job, ...] = ()
HEALTH: tuple[tuple[str, HealthCheck], ...] = ()
