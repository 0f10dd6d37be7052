"""The registry of event sources: one `SourceSpec` row per source; the ingest loops over it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tgassist.events.exceptions import UnknownSourceError
from tgassist.events.sources.base import FetchResult, RawEvent, Source, SourceSpec

if TYPE_CHECKING:
    from tgassist.app import App


def _kudago(app: App) -> Source:
    from tgassist.events.sources.kudago import KudaGoSource

    return KudaGoSource(app)


def _baliforum(app: App) -> Source:
    from tgassist.events.sources.baliforum import BaliForumSource

    return BaliForumSource(app)


def _jsonld(app: App) -> Source | None:
    from tgassist.events.sources.jsonld import JsonLdSource

    pages = app.settings.events_jsonld_pages
    return JsonLdSource(app, pages) if pages else None


def _ics(app: App) -> Source | None:
    from tgassist.events.sources.ics import IcsSource

    feeds = app.settings.events_ics_feeds
    return IcsSource(app, feeds) if feeds else None


def _ai(app: App) -> Source | None:
    if app.llm is None:
        return None
    from tgassist.events.sources.ai import AISource

    return AISource(app)


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("kudago", "kudago", "ru", _kudago, lambda s: s.events_kudago_enabled),
    SourceSpec("baliforum", "baliforum", "bali", _baliforum, lambda s: s.events_baliforum_enabled),
    SourceSpec("jsonld", "jsonld", "bali", _jsonld, lambda s: bool(s.events_jsonld_pages)),
    SourceSpec("ics", "ics", "ics", _ics, lambda s: bool(s.events_ics_feeds)),
    SourceSpec("ai", "ai", "bali", _ai, lambda s: s.events_ai_enabled and s.llm_provider != "none"),
)


def source_names() -> list[str]:
    return [s.name for s in SOURCES]


def select_specs(names: list[str] | str | None) -> list[SourceSpec]:
    """Specs for the given names ("all"/None = every source); unknown names raise."""
    if names is None or names == "all" or names == ["all"]:
        return list(SOURCES)
    wanted = [names] if isinstance(names, str) else names
    known = {s.name: s for s in SOURCES}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise UnknownSourceError(
            "events.sources.unknown", names=", ".join(unknown), known=", ".join(known)
        )
    return [known[n] for n in wanted]


def source_config(app: App, spec: SourceSpec) -> dict[str, Any]:
    """The non-secret configuration shown in `tgassist events sources` and the admin API."""
    s = app.settings
    configs: dict[str, Callable[[], dict[str, Any]]] = {
        "kudago": lambda: {
            "base_url": s.events_kudago_base_url,
            "cities": s.events_kudago_cities,
            "lang_en": s.events_kudago_lang_en,
        },
        "baliforum": lambda: {"base_url": s.events_baliforum_base_url},
        "jsonld": lambda: {"pages": [p.url for p in s.events_jsonld_pages]},
        "ics": lambda: {"feeds": [f.url for f in s.events_ics_feeds]},
        "ai": lambda: {"locations": s.events_ai_locations},
    }
    return configs[spec.name]() if spec.name in configs else {}


__all__ = [
    "SOURCES",
    "FetchResult",
    "RawEvent",
    "Source",
    "SourceSpec",
    "select_specs",
    "source_config",
    "source_names",
]
