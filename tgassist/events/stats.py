"""Operator figures of the events product: upcoming events, sources and their recent runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from tgassist.core.i18n import Msg, stored_msg
from tgassist.events.models import Event, EventSource, IngestRun

if TYPE_CHECKING:
    from tgassist.app import App


@dataclass(frozen=True)
class SourceRow:
    name: str
    enabled: bool
    last_run_at: datetime | None
    last_status: str | None
    fetched: int
    saved: int
    invalid: int
    errors: tuple[Msg | str, ...]  # a message, or text stored before notes were messages


@dataclass(frozen=True)
class RunRow:
    id: int
    started_at: datetime
    status: str
    saved_by_source: dict[str, int]


async def upcoming(app: App, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    async with app.db.session() as s:
        return int(
            await s.scalar(select(func.count()).select_from(Event).where(Event.starts_at >= now))
            or 0
        )


async def sources(app: App) -> list[SourceRow]:
    async with app.db.session() as s:
        rows = (await s.execute(select(EventSource).order_by(EventSource.name))).scalars().all()
    out = []
    for r in rows:
        stats = r.last_stats or {}
        out.append(
            SourceRow(
                name=r.name,
                enabled=bool(r.enabled),
                last_run_at=r.last_run_at,
                last_status=r.last_status,
                fetched=int(stats.get("fetched", 0)),
                saved=int(stats.get("saved", 0)) + int(stats.get("updated", 0)),
                invalid=int(stats.get("invalid", 0)),
                errors=tuple(stored_msg(e) for e in stats.get("errors", [])[:3]),
            )
        )
    return out


async def recent_runs(app: App, limit: int = 12) -> list[RunRow]:
    """The latest runs, oldest first, with events saved or updated per source."""
    async with app.db.session() as s:
        runs = (
            (await s.execute(select(IngestRun).order_by(IngestRun.id.desc()).limit(limit)))
            .scalars()
            .all()
        )
    out = []
    for run in reversed(runs):
        per = (run.stats or {}).get("sources", {})
        out.append(
            RunRow(
                id=run.id,
                started_at=run.started_at,
                status=run.status,
                saved_by_source={
                    name: int(st.get("saved", 0)) + int(st.get("updated", 0))
                    for name, st in per.items()
                },
            )
        )
    return out
