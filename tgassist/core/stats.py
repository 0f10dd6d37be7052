"""Operator figures of the core, as views: streams, DLQ, workers, jobs, users, LLM usage, and
entries per hour read from a stream's ids (a stream id is its millisecond timestamp)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from tgassist.core.health import scheduler_report, stream_report, worker_report
from tgassist.core.models import User
from tgassist.core.scheduler import LAST_RUNS_KEY

if TYPE_CHECKING:
    from tgassist.app import App

STREAM_PAGE = 5000


@dataclass(frozen=True)
class StreamRow:
    stream: str
    group: str
    length: int
    pending: int
    lag: int
    dlq: int
    consumers: int


@dataclass(frozen=True)
class DeadLetterView:
    id: str
    stream: str
    group: str
    error: str
    deliveries: int
    failed_at: str


@dataclass(frozen=True)
class WorkerRow:
    name: str
    stages: tuple[str, ...]
    at: str
    processed: int
    failed: int
    dead_lettered: int


@dataclass(frozen=True)
class JobRow:
    name: str
    next_run: str | None
    last_run: str | None
    seconds: float | None
    outcome: str | None
    error: str | None


@dataclass(frozen=True)
class UserFigures:
    total: int
    active_7d: int
    new_today: int


@dataclass(frozen=True)
class DailyUsage:
    day: str
    tokens: int
    cost: float


async def streams(app: App) -> list[StreamRow]:
    return [
        StreamRow(
            stream=r["stream"],
            group=r["group"],
            length=int(r["length"]),
            pending=int(r["pending"]),
            lag=int(r["lag"] or 0),
            dlq=int(r["dlq"]),
            consumers=int(r["consumers"]),
        )
        for r in await stream_report(app)
    ]


async def dead_letters(app: App, limit: int = 50) -> list[DeadLetterView]:
    seen: set[str] = set()
    out: list[DeadLetterView] = []
    for row in await streams(app):
        if row.stream in seen or not row.dlq:
            continue
        seen.add(row.stream)
        for letter in await app.bus.dlq_list(row.stream, count=limit):
            out.append(
                DeadLetterView(
                    id=letter.id,
                    stream=row.stream,
                    group=letter.group,
                    error=letter.error,
                    deliveries=letter.deliveries,
                    failed_at=letter.failed_at,
                )
            )
    return out[:limit]


async def replay_dead_letters(app: App, stream: str) -> int:
    """Publish a stream's dead letters back (idempotent stages skip what they already did)."""
    known = {row.stream for row in await streams(app)}
    if stream not in known:
        raise KeyError(stream)
    return await app.bus.dlq_replay(stream)


async def workers(app: App) -> list[WorkerRow]:
    return [
        WorkerRow(
            name=w["name"],
            stages=tuple(w.get("stages", [])),
            at=str(w.get("at", "")),
            processed=int(w.get("processed", 0)),
            failed=int(w.get("failed", 0)),
            dead_lettered=int(w.get("dead_lettered", 0)),
        )
        for w in await worker_report(app)
    ]


async def jobs(app: App) -> list[JobRow]:
    """Every scheduled job: next run (from the running scheduler) and its last run."""
    from tgassist.products import all_jobs

    nxt = (await scheduler_report(app))["jobs"]
    last = {k: json.loads(v) for k, v in (await app.redis.hgetall(LAST_RUNS_KEY)).items()}
    rows = []
    for job in all_jobs():
        run = last.get(job.name, {})
        rows.append(
            JobRow(
                name=job.name,
                next_run=nxt.get(job.name),
                last_run=run.get("at"),
                seconds=run.get("seconds"),
                outcome=run.get("outcome"),
                error=run.get("error"),
            )
        )
    return rows


async def users(app: App, now: datetime | None = None) -> UserFigures:
    now = now or datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    async with app.db.session() as s:
        total = await s.scalar(select(func.count()).select_from(User))
        active = await s.scalar(
            select(func.count())
            .select_from(User)
            .where(User.last_activity_at >= now - timedelta(days=7))
        )
        new = await s.scalar(select(func.count()).select_from(User).where(User.created_at >= today))
    return UserFigures(total=int(total or 0), active_7d=int(active or 0), new_today=int(new or 0))


def hour_labels(now: datetime, hours: int) -> list[datetime]:
    """The starts of the last `hours` whole hours, oldest first (the current hour included)."""
    top = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return [top - timedelta(hours=h) for h in range(hours - 1, -1, -1)]


async def stream_hourly(
    app: App, stream: str, hours: int = 24, now: datetime | None = None
) -> list[tuple[datetime, int]]:
    """Entries added to `stream` per hour over the last `hours` (read page by page)."""
    now = now or datetime.now(UTC)
    starts = hour_labels(now, hours)
    counts = dict.fromkeys(starts, 0)
    start_ms = int(starts[0].timestamp() * 1000)
    cursor = f"{start_ms}-0"
    while True:
        page = await app.redis.xrange(stream, min=cursor, max="+", count=STREAM_PAGE) or []
        for entry_id, _ in page:
            ms = int(str(entry_id).split("-", 1)[0])
            hour = datetime.fromtimestamp(ms / 1000, UTC).replace(minute=0, second=0, microsecond=0)
            if hour in counts:
                counts[hour] += 1
        if len(page) < STREAM_PAGE:
            break
        cursor = "(" + str(page[-1][0])
    return list(counts.items())


async def llm_daily(app: App, days: int = 14, now: datetime | None = None) -> list[DailyUsage]:
    """Tokens and cost per UTC day, from the LLM budget's daily counters."""
    now = now or datetime.now(UTC)
    names = [(now - timedelta(days=d)).strftime("%Y-%m-%d") for d in range(days - 1, -1, -1)]
    keys = [k for day in names for k in (f"ai:budget:{day}:tokens", f"ai:budget:{day}:cost")]
    values = await app.redis.mget(keys)
    return [
        DailyUsage(day=day, tokens=int(values[2 * i] or 0), cost=float(values[2 * i + 1] or 0.0))
        for i, day in enumerate(names)
    ]
