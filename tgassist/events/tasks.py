"""Scheduled jobs, health block and start-up hook of the events product.

Ingest runs by cron twice a day per region, at the region's local night (03:00) and noon (12:00);
nothing is ingested on start-up. On start-up, once, events without `title_en` are backfilled.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from tgassist.core.product import Job, Product

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Region:
    """Sources ingested together, on the cron of one time zone."""

    name: str
    timezone: str
    sources: tuple[str, ...]
    enabled: Callable[[Any], bool]


REGIONS: tuple[Region, ...] = (
    Region("ru", "Europe/Moscow", ("kudago",), lambda s: s.events_kudago_enabled),
    Region(
        "bali",
        "Asia/Makassar",
        ("baliforum", "jsonld", "ai"),
        lambda s: s.events_baliforum_enabled or bool(s.events_jsonld_pages) or s.events_ai_enabled,
    ),
    Region("ics", "settings", ("ics",), lambda s: bool(s.events_ics_feeds)),
)


def _zone(region: Region) -> str | Callable[[Any], str]:
    """The region's zone; the iCalendar "region" takes its zone from the settings."""
    return (lambda s: s.events_ics_timezone) if region.timezone == "settings" else region.timezone


def ingest_job(region: Region) -> Callable[[App], Coroutine[Any, Any, None]]:
    async def run(app: App) -> None:
        from tgassist.events.ingest import ingest

        await ingest(app, list(region.sources), trigger="cron")

    run.__name__ = f"ingest_{region.name}"
    return run


async def reminders_job(app: App) -> None:
    from tgassist.events.reminders import check_reminders

    await check_reminders(app)


async def archive_job(app: App) -> None:
    from tgassist.core.db import utcnow
    from tgassist.events.store import archive_past

    async with app.db.session() as s:
        moved = await archive_past(s, utcnow())
    if moved:
        log.info("archived past events", moved=moved)


async def startup_backfill(app: App) -> None:
    """Start-up hook: `[AUTO-BACKFILL] …` when events lack EN; never an ingest."""
    from tgassist.events.translate import startup_backfill as run

    await run(app)


async def start_parsers(app: App) -> None:
    """Start-up hook: start the parse forkserver when feeds/pages are configured, so the first
    ingest does not pay for it (a second or more)."""
    s = app.settings
    if not (s.events_ics_feeds or s.events_jsonld_pages):
        return
    from tgassist.events.sources.budget import warm_up

    try:
        await warm_up()
    except Exception as err:  # the ingest starts it again and reports a real fault
        log.warning("events parser warm-up failed", error=str(err))


async def health(app: App) -> dict[str, Any]:
    from sqlalchemy import func, select

    from tgassist.events.models import Event, IngestRun

    async with app.db.session() as s:
        total = (await s.execute(select(func.count()).select_from(Event))).scalar_one()
        no_en = (
            await s.execute(select(func.count()).select_from(Event).where(Event.title_en.is_(None)))
        ).scalar_one()
        last = (
            await s.execute(select(IngestRun).order_by(IngestRun.id.desc()).limit(1))
        ).scalar_one_or_none()
    return {
        "status": "ok" if last is None or last.status in ("ok", "running") else "degraded",
        "events": total,
        "without_en": no_en,
        "last_run": last.finished_at.isoformat() if last and last.finished_at else None,
        "last_run_status": last.status if last else None,
    }


PRODUCT = Product(
    name="events",
    jobs=(
        *(
            Job(
                f"events_ingest_{r.name}",
                ingest_job(r),
                cron=lambda s: s.events_ingest_cron,
                timezone=_zone(r),
                enabled=r.enabled,
            )
            for r in REGIONS
        ),
        Job("events_reminders", reminders_job, every_sec=300, lock_ttl_sec=600),
        Job("events_archive", archive_job, every_sec=6 * 3600),
    ),
    health=(("events", health),),
    on_start=(startup_backfill, start_parsers),
)
