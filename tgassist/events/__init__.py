"""The events product: sources → one ingest (with one translation batch) → service for front doors.

Import from here (the ingest itself: `from tgassist.events.ingest import ingest`); heavy modules
load on first use.
"""

from __future__ import annotations

from typing import Any

from tgassist.events.exceptions import (
    EventsError,
    NoTranslator,
    SourceError,
    SourceShapeError,
    UnknownSourceError,
)

__all__ = [
    "EventsError",
    "SourceError",
    "SourceShapeError",
    "NoTranslator",
    "UnknownSourceError",
    "backfill",
    "startup_backfill",
    "events_by_city",
    "nearby",
    "search",
    "event_card",
    "save_event",
    "unsave_event",
    "saved_events",
    "check_reminders",
]

_LAZY = {
    "backfill": "tgassist.events.translate",
    "startup_backfill": "tgassist.events.translate",
    "events_by_city": "tgassist.events.service",
    "nearby": "tgassist.events.service",
    "search": "tgassist.events.service",
    "event_card": "tgassist.events.service",
    "save_event": "tgassist.events.service",
    "unsave_event": "tgassist.events.service",
    "saved_events": "tgassist.events.service",
    "check_reminders": "tgassist.events.reminders",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
