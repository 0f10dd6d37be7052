"""Errors of the events package: a message key + params (domain `events`) saying what to do."""

from __future__ import annotations

from tgassist.core.errors import LocalizedError


class EventsError(LocalizedError):
    """Base of every error the events product raises on purpose.

    `EventsError("events.x.y", **params)`; source errors use `events.source.*` keys."""


class SourceError(EventsError):
    """A source could not be read (network, HTTP status, bad file); the run goes on without it."""


class SourceShapeError(SourceError):
    """A source answered, but not in the shape the parser knows (an undocumented API changed)."""


class UnknownSourceError(EventsError):
    """A source name that is not in the registry."""


class NoTranslator(EventsError):
    """Backfill asked for, but no LLM/translator is configured."""


class SourceHttpError(SourceError):
    """A source answered with an HTTP error status; `status` and `body` say what it answered."""

    def __init__(self, key: str, /, *, status: int, body: str = "", **params: object) -> None:
        super().__init__(key, status=status, **params)
        self.status = status
        self.body = body


class ParseBudgetError(SourceError):
    """Parsing a feed or page ran out of its time or memory budget (`kind`: time | memory | error)."""

    def __init__(self, kind: str, what: str, key: str, /, **params: object) -> None:
        super().__init__(key, what=what, **params)
        self.kind = kind
        self.what = what
