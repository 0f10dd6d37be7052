"""Enrichment stages of the channels pipeline — placeholder exports until they land."""

from __future__ import annotations

from tgassist.core.product import HealthCheck, Job, Stage

STAGES: tuple[Stage, ...] = ()
JOBS: tuple[Job, ...] = ()
HEALTH: tuple[tuple[str, HealthCheck], ...] = ()
