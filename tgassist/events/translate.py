"""Backfill of English texts for events that have none (no translator then, or a failed batch)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.sql.elements import ColumnElement

from tgassist.events.dedupe import search_text
from tgassist.events.exceptions import NoTranslator
from tgassist.events.ingest import ORIGINAL, translator_provider
from tgassist.events.lang import title_language
from tgassist.events.models import Event
from tgassist.events.report import BackfillReport

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

LOCK_KEY = "events:auto-backfill"


def _needs_en() -> ColumnElement[bool]:
    return Event.title_en.is_(None) & (Event.status != "archived")


async def count_without_en(app: App) -> int:
    async with app.db.session() as s:
        return int(
            (
                await s.execute(select(func.count()).select_from(Event).where(_needs_en()))
            ).scalar_one()
        )


async def backfill(app: App, *, batch_size: int | None = None) -> BackfillReport:
    """Translate `title` (and description/location when enabled) of events lacking `title_en`.

    Batches of `events_backfill_batch` events, walked by id, so ids that fail in this run are not
    asked again until the next backfill.
    """
    translator = app.translator
    if translator is None:
        raise NoTranslator("events.translation.no_translator")
    settings = app.settings
    size = batch_size or settings.events_backfill_batch
    provider = translator_provider(translator)
    report = BackfillReport(found=await count_without_en(app))
    last_id = 0
    while True:
        async with app.db.session() as s:
            rows = (
                await s.execute(
                    select(
                        Event.id,
                        Event.title,
                        Event.description,
                        Event.location_name,
                        Event.description_en,
                        Event.location_name_en,
                    )
                    .where(_needs_en(), Event.id > last_id)
                    .order_by(Event.id)
                    .limit(size)
                )
            ).all()
        if not rows:
            break
        last_id = rows[-1].id
        items: dict[str, str] = {}
        for r in rows:
            if title_language(r.title) in ("en", "none"):
                continue  # English already: its own English title, below, with no LLM call
            items[f"{r.id}.t"] = r.title
            if settings.events_translate_description and r.description and not r.description_en:
                items[f"{r.id}.d"] = r.description
            if settings.events_translate_location and r.location_name and not r.location_name_en:
                items[f"{r.id}.l"] = r.location_name
        got: dict[str, str] = {}
        if items:
            result = await translator.translate(items)
            report.batches += 1
            report.calls += result.calls
            report.errors.extend(result.errors)
            got = dict(result.translated)
        updates = []
        for r in rows:
            title_en = got.get(f"{r.id}.t")
            own = title_en is None and title_language(r.title) in ("en", "none")
            title_en = r.title if own else title_en
            if not title_en:
                report.missing += 1
                continue
            row = {
                "id": r.id,
                "title_en": title_en,
                "translation_provider": ORIGINAL if own else provider,
                "search_text": search_text(
                    r.title, title_en, r.location_name, (r.description or "")[:500]
                ),
            }
            if f"{r.id}.d" in got:
                row["description_en"] = got[f"{r.id}.d"]
            if f"{r.id}.l" in got:
                row["location_name_en"] = got[f"{r.id}.l"]
            updates.append(row)
        async with app.db.session() as s:
            for row in updates:  # few hundred rows; each keeps its own optional columns
                values = {k: v for k, v in row.items() if k != "id"}
                await s.execute(update(Event).where(Event.id == row["id"]).values(**values))
        report.translated += len(updates)
        log.info(
            f"[BACKFILL] Batch {report.batches}: translated={len(updates)} missing={len(rows) - len(updates)}",
            items=len(items),
        )
    return report


async def startup_backfill(app: App) -> BackfillReport | None:
    """On start-up, once (one scheduler process of many): backfill if any event lacks EN."""
    lock = app.redis.lock(LOCK_KEY, timeout=3600, blocking=False)
    if not await lock.acquire():
        log.info("[AUTO-BACKFILL] Another scheduler is running it, skip")
        return None
    try:
        found = await count_without_en(app)
        if not found:
            log.debug("[AUTO-BACKFILL] No events without EN, skip")
            return None
        log.info(f"[AUTO-BACKFILL] Found {found} events without EN")
        if app.translator is None:
            log.warning(
                "[AUTO-BACKFILL] No translator configured; set TGASSIST_LLM_PROVIDER to fill title_en"
            )
            return None
        report = await backfill(app)
        log.info(
            f"[AUTO-BACKFILL] Completed. translated={report.translated}",
            missing=report.missing,
            calls=report.calls,
        )
        return report
    finally:
        try:
            await lock.release()
        except Exception:  # expired or taken over: nothing to release
            pass
