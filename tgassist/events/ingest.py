"""The one ingest for every source: collect → look up existing EN → translate once → upsert.

Per run: every selected source is fetched (a failing source is reported, the others go on); ONE
query reads which `(source, external_id)` already exist and have `title_en`; the rest go to the
batch translator as ONE logical batch (it chunks, validates and retries only missing ids); rows are
bulk-upserted; upcoming events that vanished from a fully read source are cancelled; past events
are moved to the archive. Stats land in `event_ingest_runs` and on each `event_sources` row.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import select

from tgassist.core.db import utcnow
from tgassist.core.i18n import Msg, render_stored
from tgassist.events.dedupe import content_hash, dedupe_key, search_text
from tgassist.events.exceptions import EventsError
from tgassist.events.lang import title_language
from tgassist.events.models import Event, EventSource, IngestRun
from tgassist.events.report import IngestReport, SourceStats
from tgassist.events.service import forget_city_lists
from tgassist.events.sources import SourceSpec, select_specs, source_config
from tgassist.events.sources.base import RawEvent
from tgassist.events.store import (
    adopt_legacy_ids,
    archive_past,
    cancel_vanished,
    reschedule_reminders,
    touch_events,
    upsert_events,
)

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

ORIGINAL = "original"  # translation_provider of a title that is English already
NAMED_REJECTS = 50  # rejected records named in the run's stats (all are counted by reason)


@dataclass
class _Planned:
    """One fetched event and where each of its English texts comes from."""

    ev: RawEvent
    prev: Any  # the existing row (a Row of the lookup query) or None
    title_en: str | None = None
    provider: str | None = None
    description_en: str | None = None
    location_en: str | None = None
    keys: dict[str, str] = field(default_factory=dict)  # field → translation item id


async def ingest(
    app: App,
    sources: list[str] | str | None = None,
    *,
    now: datetime | None = None,
    trigger: str = "manual",
) -> IngestReport:
    """Run one ingest over `sources` (names, "all" or None = all). Never raises for a source fault."""
    started = time.perf_counter()
    now = now or utcnow()
    specs = select_specs(sources)
    report = IngestReport()
    async with app.db.session() as s:
        enabled = await sync_registry(s, app, specs)
        run = IngestRun(
            trigger=trigger,
            sources=[sp.name for sp in specs],
            status="running",
            started_at=utcnow(),
        )
        s.add(run)
        await s.flush()
        report.run_id = run.id

    collected: dict[str, list[RawEvent]] = {}
    for spec in specs:
        report.sources[spec.name] = st = SourceStats()
        if not spec.enabled(app.settings) or not enabled.get(spec.name, True):
            st.status = "disabled"
            continue
        events = await _collect(
            app, spec, st, now, now + timedelta(days=app.settings.events_window_days)
        )
        if events is not None:
            collected[spec.name] = events

    async with app.db.session() as s:
        for name, events in collected.items():
            current = {e.external_id for e in events}
            renames = {
                e.legacy_external_id: e.external_id
                for e in events
                if e.legacy_external_id and e.legacy_external_id not in current
            }
            await adopt_legacy_ids(s, name, renames)
    plans = await _plan(app, collected, report)
    translated = await _translate(app, plans, report)
    rows, touch = _rows(app, plans, translated, report, now)
    moved = {
        p.prev.id: p.ev.starts_at
        for p in plans
        if p.prev is not None and p.prev.starts_at != p.ev.starts_at
    }

    try:
        async with app.db.session() as s:
            await upsert_events(s, rows)
            await touch_events(s, touch, now)
            await reschedule_reminders(s, moved)
            for name, st in report.sources.items():
                if (
                    name in collected
                    and st.status == "ok"
                    and st.fetched
                    and app.settings.events_cancel_vanished
                ):
                    st.cancelled = await cancel_vanished(s, name, now)
            report.archived = await archive_past(s, now)
    except Exception as err:  # nothing was written (one transaction); the run row says why
        report.status, report.seconds = "failed", round(time.perf_counter() - started, 3)
        log.exception("storing the run's events failed", run=report.run_id)
        report.errors.append(
            Msg("events_ingest.error.store_failed", {"error": type(err).__name__}).to_dict()
        )
        await _finish(app, report, specs)
        raise EventsError(
            "events.ingest.store_failed", run=report.run_id, error=type(err).__name__
        ) from err

    report.status = _run_status(report)
    report.seconds = round(time.perf_counter() - started, 3)
    forget_city_lists(app)  # this process's readers see the new events at once
    await _finish(app, report, specs)
    for name, st in report.sources.items():
        log.info(
            f"[INGEST] Done ({name}): status={st.status} fetched={st.fetched} saved={st.saved} "
            f"updated={st.updated} skipped={st.skipped} cancelled={st.cancelled} invalid={st.invalid} "
            f"outside_window={st.outside_window} capped={st.capped} errors={len(st.errors)}",
            source=name,
            errors=[render_stored(e, "en") for e in st.errors[:3]],
            rejected=st.rejected_by_reason,
        )
    log.info(
        f"[INGEST] Run {report.run_id} finished: status={report.status} archived={report.archived} "
        f"llm_calls={report.translation.calls} seconds={report.seconds}",
        **report.totals,
    )
    return report


async def sync_registry(s: Any, app: App, specs: list[SourceSpec]) -> dict[str, bool]:
    """Make sure every source has its `event_sources` row; return the admin on/off switches."""
    out = {}
    for spec in specs:
        row = await s.get(EventSource, spec.name)
        if row is None:
            row = EventSource(
                name=spec.name, kind=spec.kind, region=spec.region, enabled=True, last_stats={}
            )
            s.add(row)
        row.kind, row.region, row.config = spec.kind, spec.region, source_config(app, spec)
        out[spec.name] = row.enabled
    return out


async def _collect(
    app: App, spec: SourceSpec, st: SourceStats, since: datetime, until: datetime
) -> list[RawEvent] | None:
    t0 = time.perf_counter()
    try:
        source = spec.build(app)
        if source is None:
            st.status = "not_configured"
            return None
        result = await source.fetch(since, until)
    except EventsError as err:
        st.status, st.errors = "failed", [err.msg.to_dict()]
        return None
    except Exception as err:  # a bug in one source must not stop the others
        log.exception("event source crashed", source=spec.name)
        crashed = Msg("events_ingest.error.source_crashed", {"error": type(err).__name__})
        st.status, st.errors = "failed", [crashed.to_dict()]
        return None
    unique = {ev.external_id: ev for ev in result.events}
    st.fetched, st.requests = len(unique), result.requests
    st.invalid = result.counted("invalid")
    st.outside_window = result.counted("outside_window")
    st.capped = result.counted("capped")
    for skip in result.skips:
        st.rejected_by_reason[skip.reason] = st.rejected_by_reason.get(skip.reason, 0) + skip.count
    st.rejected = [skip.to_dict() for skip in result.skips[:NAMED_REJECTS]]
    st.errors.extend(result.errors)
    st.status = "ok" if result.complete else "partial" if unique else "failed"
    st.seconds = round(time.perf_counter() - t0, 3)
    return list(unique.values())


async def _plan(
    app: App, collected: dict[str, list[RawEvent]], report: IngestReport
) -> list[_Planned]:
    """One query for existing rows; decide per event which English texts still need the LLM."""
    if not collected:
        return []
    cols = (
        Event.id,
        Event.source,
        Event.external_id,
        Event.title,
        Event.title_en,
        Event.description,
        Event.description_en,
        Event.location_name,
        Event.location_name_en,
        Event.translation_provider,
        Event.content_hash,
        Event.status,
        Event.starts_at,
    )
    async with app.db.session() as s:
        result = await s.execute(select(*cols).where(Event.source.in_(list(collected))))
        existing = {(r.source, r.external_id): r for r in result}
    settings = app.settings
    debug = logging.getLogger(__name__).isEnabledFor(logging.DEBUG)  # skip 1 line/event when off
    plans: list[_Planned] = []
    for name, events in collected.items():
        st = report.sources[name]
        for ev in events:
            prev = existing.get((name, ev.external_id))
            p = _Planned(ev, prev)
            n = len(plans)
            if ev.title_en:
                p.title_en, p.provider = ev.title_en, ev.en_provider
                st.en_from_source += 1
            elif (ev.language or title_language(ev.title)) in ("en", "none"):
                # Already English (or no words): the title is its own English title.
                p.title_en, p.provider = ev.title, ORIGINAL
                st.en_original += 1
            elif prev is not None and prev.title_en and prev.title == ev.title:
                p.title_en, p.provider = prev.title_en, prev.translation_provider
                st.en_existing += 1
                if debug:
                    log.debug(
                        f"[TRANSLATION-SKIP] Using existing EN for external_id={ev.external_id}",
                        source=name,
                    )
            else:
                p.keys["title"] = f"{n}.t"
                st.missing_translations += 1
            p.description_en = _keep_or_ask(
                p, "description", ev.description, settings.events_translate_description, n
            )
            p.location_en = _keep_or_ask(
                p, "location_name", ev.location_name, settings.events_translate_location, n
            )
            plans.append(p)
        log.info(
            f"[INGEST] Missing translations ({name}): {st.missing_translations}",
            source=name,
            missing=st.missing_translations,
            existing=st.en_existing,
            from_source=st.en_from_source,
            original=st.en_original,
        )
    return plans


def _keep_or_ask(p: _Planned, name: str, text: str | None, enabled: bool, n: int) -> str | None:
    """The stored translation when the source text is unchanged; else ask (when enabled)."""
    prev = p.prev
    if not text:
        return None
    if prev is not None and getattr(prev, f"{name}_en") and getattr(prev, name) == text:
        return str(getattr(prev, f"{name}_en"))
    if enabled:
        p.keys[name] = f"{n}.{name[0]}"
    return None


async def _translate(app: App, plans: list[_Planned], report: IngestReport) -> dict[str, str]:
    """The run's one logical translation batch; failures keep partial results and are reported."""
    items = {key: getattr(p.ev, field_) for p in plans for field_, key in p.keys.items()}
    tr = report.translation
    tr.requested = len(items)
    if not items:
        return {}
    translator = app.translator
    if translator is None:
        tr.missing = len(items)
        log.info(f"[INGEST] No translator configured: {len(items)} texts wait for the backfill")
        return {}
    tr.provider = translator_provider(translator)
    try:
        result = await translator.translate(items)
    except Exception as err:  # the translator promises not to raise; a bug must not lose the run
        log.exception("translator failed", error=str(err))
        crashed = Msg("events_ingest.error.translator_crashed", {"error": type(err).__name__})
        tr.missing, tr.errors = len(items), [crashed.to_dict()]
        return {}
    tr.translated, tr.missing = len(result.translated), len(result.missing)
    tr.calls, tr.cached, tr.errors = result.calls, result.cached, list(result.errors)
    log.info(
        f"[INGEST] Translated {tr.translated}/{tr.requested} texts: calls={tr.calls} cached={tr.cached} "
        f"missing={tr.missing}",
        errors=[render_stored(e, "en") for e in tr.errors[:3]],
    )
    return dict(result.translated)


def translator_provider(translator: Any) -> str:
    llm = getattr(translator, "llm", None)
    return str(getattr(translator, "provider", None) or getattr(llm, "provider", None) or "llm")


def _rows(
    app: App, plans: list[_Planned], translated: dict[str, str], report: IngestReport, now: datetime
) -> tuple[list[dict[str, Any]], list[int]]:
    rows: list[dict[str, Any]] = []
    touch: list[int] = []
    provider = report.translation.provider
    for p in plans:
        ev, prev, st = p.ev, p.prev, report.sources[p.ev.source]
        title_en, title_provider = p.title_en, p.provider
        if title_en is None and p.keys.get("title") in translated:
            title_en, title_provider = translated[p.keys["title"]], provider
            st.translated += 1
        desc_en = p.description_en or translated.get(p.keys.get("description", ""))
        loc_en = p.location_en or translated.get(p.keys.get("location_name", ""))
        digest = content_hash(ev)
        if (
            prev is not None
            and prev.content_hash == digest
            and prev.status == ev.status
            and (prev.title_en, prev.description_en, prev.location_name_en)
            == (title_en, desc_en, loc_en)
        ):
            st.skipped += 1
            touch.append(prev.id)
            continue
        if prev is None:
            st.saved += 1
        else:
            st.updated += 1
        rows.append(
            {
                "source": ev.source,
                "external_id": ev.external_id,
                "title": ev.title,
                "title_en": title_en,
                "description": ev.description,
                "description_en": desc_en,
                "location_name": ev.location_name,
                "location_name_en": loc_en,
                "translation_provider": title_provider if title_en else None,
                "starts_at": ev.starts_at,
                "ends_at": ev.ends_at,
                "timezone": ev.timezone,
                "all_day": ev.all_day,
                "city": ev.city,
                "region": ev.region,
                "address": ev.address,
                "lat": ev.lat,
                "lng": ev.lng,
                "url": ev.url,
                "categories": ev.categories,
                "price": ev.price,
                "is_free": ev.is_free,
                "age_restriction": ev.age_restriction,
                "image_url": ev.image_url,
                "search_text": search_text(
                    ev.title, title_en, ev.location_name, (ev.description or "")[:500]
                ),
                "dedupe_key": dedupe_key(ev),
                "content_hash": digest,
                "status": ev.status,
                "is_generated_by_ai": ev.is_generated_by_ai,
                "first_seen_at": now,
                "last_seen_at": now,
            }
        )
    return rows, touch


def _run_status(report: IngestReport) -> str:
    tried = [s for s in report.sources.values() if s.status not in ("disabled", "not_configured")]
    if tried and all(s.status == "failed" for s in tried):
        return "failed"
    if (
        any(s.status != "ok" for s in tried)
        or report.translation.errors
        or (report.translation.missing and report.translation.provider)
    ):
        return "partial"
    return "ok"


async def _finish(app: App, report: IngestReport, specs: list[SourceSpec]) -> None:
    finished = utcnow()
    async with app.db.session() as s:
        run = await s.get(IngestRun, report.run_id)
        if run is not None:
            run.status, run.stats, run.finished_at = report.status, report.to_dict(), finished
        for spec in specs:
            st = report.sources[spec.name]
            row = await s.get(EventSource, spec.name)
            if row is not None and st.status != "disabled":
                row.last_run_at, row.last_status, row.last_stats = finished, st.status, asdict(st)


async def list_sources(app: App) -> list[dict[str, Any]]:
    """Every registered source with its settings switch, admin switch and last-run stats."""
    specs = select_specs(None)
    async with app.db.session() as s:
        enabled = await sync_registry(s, app, specs)
        rows = {r.name: r for r in (await s.execute(select(EventSource))).scalars()}
    out = []
    for spec in specs:
        row = rows[spec.name]
        out.append(
            {
                "name": spec.name,
                "kind": spec.kind,
                "region": spec.region,
                "configured": spec.enabled(app.settings),
                "enabled": enabled[spec.name],
                "config": row.config,
                "last_run_at": row.last_run_at.isoformat() if row.last_run_at else None,
                "last_status": row.last_status,
                "last_stats": row.last_stats or {},
            }
        )
    return out


async def recent_runs(app: App, limit: int = 20) -> list[dict[str, Any]]:
    async with app.db.session() as s:
        runs = (
            (await s.execute(select(IngestRun).order_by(IngestRun.id.desc()).limit(limit)))
            .scalars()
            .all()
        )
    return [
        {
            "id": r.id,
            "trigger": r.trigger,
            "sources": r.sources,
            "status": r.status,
            "stats": r.stats,
            "started_at": r.started_at.isoformat(),
            "finished_at": r.finished_at.isoformat() if r.finished_at else None,
        }
        for r in runs
    ]
