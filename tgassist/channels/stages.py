"""The enrichment stages of the channels pipeline, declared in one table (plus jobs and health).

Handlers live in `stage_*.py` and are imported on first use, so the CLI starts without loading
SQLAlchemy models, AI clients or Qdrant.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tgassist.channels.events import (
    ALBUMS_OVERDUE,
    ALBUMS_PARSED,
    POSTS_CRAWL,
    POSTS_ENRICHED,
    POSTS_PARSED,
    POSTS_TAGGED,
    POSTS_VISION_ANALYZED,
    AlbumOverdue,
    AlbumParsed,
    PostCrawl,
    PostEnriched,
    PostParsed,
    PostTagged,
    PostVisionAnalyzed,
)
from tgassist.core.product import Handler, HealthCheck, Job, Stage

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.worker import StageContext


def lazy(target: str) -> Handler:
    """`module:function` imported on the first call."""
    module, _, name = target.partition(":")
    fn: list[Any] = []

    async def handler(event: Any, ctx: StageContext) -> None:
        if not fn:
            fn.append(getattr(importlib.import_module(f"tgassist.channels.{module}"), name))
        await fn[0](event, ctx)

    handler.__name__ = name
    return handler


EMBEDDED_STORES = "embedded-stores"


def _index_exclusive(settings: Any) -> str | None:
    """Indexing writes Qdrant and the graph: one process only while either is embedded."""
    return None if settings.qdrant_url and settings.neo4j_url else EMBEDDED_STORES


def _graph_exclusive(settings: Any) -> str | None:
    """Album assembly writes the graph: one process only while LadybugDB is embedded."""
    return None if settings.neo4j_url else EMBEDDED_STORES


STAGES: tuple[Stage, ...] = (
    Stage("vision", POSTS_PARSED, PostParsed, lazy("stage_vision:handle_vision"), concurrency=2),
    Stage("tagging", POSTS_PARSED, PostParsed, lazy("stage_tags:handle_tagging"), concurrency=64),
    Stage(
        "retagging", POSTS_VISION_ANALYZED, PostVisionAnalyzed, lazy("stage_tags:handle_retagging")
    ),
    Stage(
        "tag_persistence",
        POSTS_TAGGED,
        PostTagged,
        lazy("stage_tags:handle_tag_persistence"),
        concurrency=64,
    ),
    Stage(
        "crawl_trigger",
        POSTS_TAGGED,
        PostTagged,
        lazy("stage_tags:handle_crawl_trigger"),
        concurrency=16,
    ),
    Stage(
        "enrichment", POSTS_CRAWL, PostCrawl, lazy("stage_crawl:handle_enrichment"), concurrency=8
    ),
    Stage(
        "indexing",
        POSTS_TAGGED,
        PostTagged,
        lazy("stage_index:handle_indexing_tagged"),
        concurrency=64,
        exclusive=_index_exclusive,
    ),
    Stage(
        "indexing_enriched",
        POSTS_ENRICHED,
        PostEnriched,
        lazy("stage_index:handle_indexing_enriched"),
        exclusive=_index_exclusive,
    ),
    Stage(
        "album_assembler",
        ALBUMS_PARSED,
        AlbumParsed,
        lazy("stage_albums:handle_album_parsed"),
        exclusive=_graph_exclusive,
    ),
    Stage(
        "album_assembler_vision",
        POSTS_VISION_ANALYZED,
        PostVisionAnalyzed,
        lazy("stage_albums:handle_album_vision"),
        exclusive=_graph_exclusive,
    ),
    Stage(
        "album_overdue",
        ALBUMS_OVERDUE,
        AlbumOverdue,
        lazy("stage_albums:handle_album_overdue"),
        exclusive=_graph_exclusive,
    ),
)

# Which stream each stage reads and what it is re-run with (`tgassist pipeline reprocess`).
STAGE_NAMES = tuple(s.name for s in STAGES)


async def _assemble_overdue(app: App) -> int:
    """Assemble overdue albums here when this process may write the graph (Neo4j, or it holds
    the embedded stores); otherwise ask the worker that holds them (a separate scheduler must
    never open the single-process LadybugDB)."""
    from tgassist.channels.stage_albums import assemble_overdue, request_overdue
    from tgassist.core.locks import held_here

    key = _graph_exclusive(app.settings)
    holder = await app.redis.get(f"lock:stages:{key}") if key else None
    if key and not held_here(str(holder) if holder is not None else None):
        return await request_overdue(app)
    return await assemble_overdue(app)


# What counts as overdue is TGASSIST_ALBUM_ASSEMBLY_TIMEOUT_SEC.
JOBS: tuple[Job, ...] = (
    Job("album_timeouts", _assemble_overdue, every_sec=lambda s: s.album_check_every_sec),
)


async def check_ocr(app: App) -> dict[str, Any]:
    """`ocr: ok | unavailable | disabled`, with the reason."""
    ocr = app.ocr
    if ocr is None:
        return {"status": "disabled"}
    status = ocr.status()
    return {
        "status": status,
        **({"reason": ocr.reason} if ocr.reason else {}),
        "languages": ocr.languages,
    }


async def check_vision(app: App) -> dict[str, Any]:
    """The daily vision cap: `ok`, or `exhausted` once today's images reached it."""
    from tgassist.channels.stage_vision import CAP_KEY

    cap = app.settings.vision_daily_cap
    used = int(await app.redis.get(CAP_KEY + datetime.now(UTC).strftime("%Y-%m-%d")) or 0)
    status = (
        "disabled"
        if not app.settings.vision_enabled
        else "exhausted"
        if cap and used >= cap
        else "ok"
    )
    return {
        "status": status,
        "used_today": used,
        "daily_cap": cap or None,
        "llm_vision": bool(app.settings.vision_llm_enabled and app.llm is not None),
    }


async def check_albums(app: App) -> dict[str, Any]:
    """Albums waiting for items; `degraded` when some wait longer than the assembly timeout."""
    from tgassist.channels.albums import AlbumTracker

    t = AlbumTracker(app.redis, app.settings.album_state_ttl_sec)
    pending = await t.pending()
    overdue = len(await t.due(app.settings.album_assembly_timeout_sec * 2))
    return {"status": "degraded" if overdue else "ok", "pending": pending, "overdue": overdue}


HEALTH: tuple[tuple[str, HealthCheck], ...] = (
    ("ocr", check_ocr),
    ("vision", check_vision),
    ("albums", check_albums),
)

__all__ = ["HEALTH", "JOBS", "STAGES", "STAGE_NAMES", "lazy"]
