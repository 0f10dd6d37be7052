"""Typed stats of an ingest run, per source and for the run's one translation batch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class SourceStats:
    """What one source did in a run. `status`: ok | partial | failed | disabled | not_configured."""

    status: str = "ok"
    fetched: int = 0
    saved: int = 0
    updated: int = 0
    skipped: int = 0  # unchanged since the last run
    cancelled: int = 0
    invalid: int = 0  # broken records left out (no start, bad rule…), named in `rejected`
    outside_window: int = 0  # valid records whose dates are all outside the ingest window
    capped: int = 0  # occurrences over the per-series / per-feed caps
    requests: int = 0
    en_from_source: int = 0
    en_existing: int = 0
    missing_translations: int = 0
    translated: int = 0
    en_original: int = 0  # titles already in English (or without words): no translation needed
    seconds: float = 0.0
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Records left out, by reason (`events_ingest.skip.<reason>`), and the first few by name:
    # {"reason", "key", "params": {"item", "detail", "count"}}.
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TranslationStats:
    """The run's one logical translation batch."""

    requested: int = 0
    translated: int = 0
    missing: int = 0
    calls: int = 0
    cached: int = 0
    provider: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class IngestReport:
    """The result of `ingest()`; stored as the `event_ingest_runs.stats` JSON."""

    run_id: int | None = None
    status: str = "ok"
    sources: dict[str, SourceStats] = field(default_factory=dict)
    translation: TranslationStats = field(default_factory=TranslationStats)
    archived: int = 0
    seconds: float = 0.0
    # faults of the run itself (not of one source); stored messages, as every `errors` here
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        keys = (
            "fetched",
            "saved",
            "updated",
            "skipped",
            "cancelled",
            "invalid",
            "outside_window",
            "capped",
        )
        return {k: sum(getattr(s, k) for s in self.sources.values()) for k in keys}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["totals"] = self.totals
        return data


@dataclass
class BackfillReport:
    """The result of a translation backfill."""

    found: int = 0
    translated: int = 0
    missing: int = 0
    calls: int = 0
    batches: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
