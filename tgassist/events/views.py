"""The views the events service returns (frozen dataclasses) and the choices doors offer."""

from __future__ import annotations

from tgassist.events.browse import RADII_KM, WHEN, City, EventMark, EventsPage
from tgassist.events.card import EventCard
from tgassist.events.report import BackfillReport, IngestReport
from tgassist.events.stats import RunRow, SourceRow

__all__ = [
    "RADII_KM",
    "WHEN",
    "BackfillReport",
    "City",
    "EventCard",
    "EventMark",
    "EventsPage",
    "IngestReport",
    "RunRow",
    "SourceRow",
]
