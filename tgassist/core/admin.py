"""What an administrator does, below every door: broadcasts, recent errors, the job monitor.

A broadcast is a `broadcasts` row plus one `bot.outgoing` message per recipient (dedupe key
`broadcast:<id>:<telegram id>`), written in batches, each batch in one transaction with the
row's `enqueued` count. Killed mid-way, `fan_out` resumes from that count (re-enqueueing one
batch of overlap: the dedupe keys make a repeated message a no-op, so nobody gets it twice and
nobody is skipped even if the audience changed meanwhile). Delivery is the sender stage's job;
the report counts its sent-markers (`outgoing_deliveries`) by status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from tgassist.core.bus import dlq_name
from tgassist.core.db import utcnow
from tgassist.core.errors import LocalizedError
from tgassist.core.models import Broadcast, OutgoingDelivery, User
from tgassist.core.outgoing import MAX_TEXT, enqueue_message
from tgassist.core.users import LIMIT_NAMES

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.product import Stage
    from tgassist.core.tasks import TaskView

__all__ = [
    "AUDIENCES",
    "BroadcastView",
    "ErrorView",
    "MonitorView",
    "StreamRow",
    "broadcast_status",
    "create_broadcast",
    "fan_out",
    "finish_broadcast",
    "job_monitor",
    "parse_limits",
    "recent_errors",
    "unfinished_broadcasts",
]

AUDIENCES = ("all", "active")
ACTIVE_DAYS = 7
BATCH = 500
LOCK_SEC = 20
FINAL = ("done",)


@dataclass(frozen=True)
class BroadcastView:
    id: int
    audience: str
    status: str  # queued | sending | done
    total: int
    enqueued: int
    sent: int
    blocked: int
    failed: int
    created_by: int | None
    created_at: datetime | None
    finished_at: datetime | None

    @property
    def pending(self) -> int:
        return max(0, self.total - self.sent - self.blocked - self.failed)

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * (self.total - self.pending) / self.total)


@dataclass(frozen=True)
class StreamRow:
    stream: str
    group: str
    length: int
    pending: int
    lag: int | None
    dlq: int


@dataclass(frozen=True)
class MonitorView:
    streams: list[StreamRow]
    workers: int
    running: list[TaskView]

    @property
    def dlq_total(self) -> int:
        return sum(r.dlq for r in {(r.stream, r.dlq): r for r in self.streams}.values())


@dataclass(frozen=True)
class ErrorView:
    stream: str
    group: str
    error: str
    deliveries: int
    failed_at: str


def parse_limits(text: str) -> dict[str, Any]:
    """`campaigns=5 channels=10 reminders=-` → {"campaigns": "5", …, "reminders": None} (a dash
    removes a limit); the values are checked by `users.set_limits`."""
    out: dict[str, Any] = {}
    for part in text.replace(",", " ").split():
        name, sep, value = part.partition("=")
        if not sep or not name:
            raise LocalizedError(
                "admin.limits.format", value=part[:40], choices=", ".join(LIMIT_NAMES)
            )
        out[name.strip().lower()] = None if value.strip() in ("-", "") else value.strip()
    if not out:
        raise LocalizedError("admin.limits.format", value=text[:40], choices=", ".join(LIMIT_NAMES))
    return out


def _audience_filter(audience: str, created_before: datetime) -> list[Any]:
    conds = [
        User.is_blocked.is_(False),
        User.is_active.is_(True),
        User.created_at <= created_before,
    ]
    if audience == "active":
        conds.append(User.last_activity_at >= utcnow() - timedelta(days=ACTIVE_DAYS))
    return conds


async def create_broadcast(app: App, *, created_by: int, audience: str, text: str) -> BroadcastView:
    """A queued broadcast of `text` (plain text, sent escaped) to all or recently active users."""
    if audience not in AUDIENCES:
        raise LocalizedError(
            "admin.broadcast.audience", value=audience, choices=", ".join(AUDIENCES)
        )
    text = text.strip()
    if not text:
        raise LocalizedError("admin.broadcast.empty")
    if len(text) > MAX_TEXT:
        raise LocalizedError("admin.broadcast.too_long", length=len(text), limit=MAX_TEXT)
    now = utcnow()
    async with app.db.session() as s:
        total = await s.scalar(
            select(func.count()).select_from(User).where(*_audience_filter(audience, now))
        )
        row = Broadcast(
            created_by=created_by,
            audience=audience,
            text=text,
            params={},
            status="queued",
            total=int(total or 0),
            enqueued=0,
            created_at=now,
        )
        s.add(row)
        await s.flush()
        broadcast_id = row.id
    return await broadcast_status(app, broadcast_id)


async def fan_out(app: App, broadcast_id: int, batch: int = BATCH) -> BroadcastView:
    """Enqueue the broadcast's messages (resumable; one process at a time via a Redis lock)."""
    # Short-lived and extended per batch: a killed process holds it for LOCK_SEC at most.
    lock = app.redis.lock(f"lock:broadcast:{broadcast_id}", timeout=LOCK_SEC, blocking=False)
    if not await lock.acquire():
        return await broadcast_status(app, broadcast_id)
    try:
        async with app.db.session() as s:
            row = await s.get(Broadcast, broadcast_id)
            if row is None:
                raise LocalizedError("admin.broadcast.not_found", id=broadcast_id)
            if row.status != "queued":
                return await broadcast_status(app, broadcast_id)
            audience, text, created = row.audience, row.text or "", row.created_at
            position = max(0, row.enqueued - batch)  # overlap: see the module docstring
        while True:
            async with app.db.session() as s:
                ids = (
                    await s.scalars(
                        select(User.telegram_id)
                        .where(*_audience_filter(audience, created))
                        .order_by(User.id)
                        .offset(position)
                        .limit(batch)
                    )
                ).all()
                for tid in ids:
                    await enqueue_message(
                        s,
                        chat_id=int(tid),
                        text=text,
                        dedupe_key=f"broadcast:{broadcast_id}:{tid}",
                        broadcast_id=broadcast_id,
                    )
                row = await s.get(Broadcast, broadcast_id)
                assert row is not None
                position += len(ids)
                row.enqueued = max(row.enqueued, position)
                if len(ids) < batch:
                    row.status = "sending"
                    row.total = row.enqueued
            await lock.extend(LOCK_SEC, replace_ttl=True)
            if len(ids) < batch:
                break
    finally:
        try:  # shielded: a cancelled fan-out (shutdown) still frees the lock for its resumer
            await asyncio.shield(lock.release())
        except Exception:  # expired: another process may continue; nothing to release
            pass
    return await broadcast_status(app, broadcast_id)


async def broadcast_status(app: App, broadcast_id: int) -> BroadcastView:
    async with app.db.session() as s:
        row = await s.get(Broadcast, broadcast_id)
        if row is None:
            raise LocalizedError("admin.broadcast.not_found", id=broadcast_id)
        counts = dict(
            (
                await s.execute(
                    select(OutgoingDelivery.status, func.count())
                    .where(OutgoingDelivery.broadcast_id == broadcast_id)
                    .group_by(OutgoingDelivery.status)
                )
            ).all()
        )
        return BroadcastView(
            id=row.id,
            audience=row.audience,
            status=row.status,
            total=row.total,
            enqueued=row.enqueued,
            sent=int(counts.get("sent", 0)),
            blocked=int(counts.get("blocked", 0)),
            failed=int(counts.get("failed", 0)),
            created_by=row.created_by,
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


async def finish_broadcast(app: App, broadcast_id: int) -> BroadcastView:
    async with app.db.session() as s:
        row = await s.get(Broadcast, broadcast_id)
        if row is not None and row.status not in FINAL:
            row.status = "done"
            row.finished_at = utcnow()
    return await broadcast_status(app, broadcast_id)


async def unfinished_broadcasts(app: App) -> list[int]:
    async with app.db.session() as s:
        rows = await s.scalars(
            select(Broadcast.id).where(Broadcast.status.not_in(FINAL)).order_by(Broadcast.id)
        )
        return [int(i) for i in rows.all()]


async def recent_errors(
    app: App, limit: int = 10, extra_stages: Sequence[Stage] = ()
) -> list[ErrorView]:
    """The newest dead letters over every stream (what failed for good, and why)."""
    out: list[ErrorView] = []
    for stream in sorted({r.stream for r in await _stage_rows(app, extra_stages)}):
        entries: list[Any] = await app.redis.xrevrange(dlq_name(stream), count=limit) or []
        for _, raw in entries:
            fields: dict[str, Any] = dict(raw or {})
            out.append(
                ErrorView(
                    stream=stream,
                    group=str(fields.get("group", "")),
                    error=str(fields.get("error", ""))[:300],
                    deliveries=int(fields.get("deliveries", 0) or 0),
                    failed_at=str(fields.get("failed_at", "")),
                )
            )
    out.sort(key=lambda e: e.failed_at, reverse=True)
    return out[:limit]


async def _stage_rows(app: App, extra_stages: Sequence[Stage]) -> list[StreamRow]:
    """Every product stage, plus stages a role runs on its own (the bot's sender)."""
    from tgassist.products import all_stages

    rows = []
    for stage in [*all_stages(), *extra_stages]:
        st = await app.bus.stats(stage.stream, stage.group_name)
        rows.append(StreamRow(st.stream, stage.group_name, st.length, st.pending, st.lag, st.dlq))
    return rows


async def job_monitor(app: App, extra_stages: Sequence[Stage] = ()) -> MonitorView:
    """Streams (length, pending, lag, DLQ), live workers and running tasks."""
    from tgassist.core.health import worker_report

    rows = await _stage_rows(app, extra_stages)
    workers = await worker_report(app)
    running = await app.tasks.list(status=("pending", "running"), limit=20)
    return MonitorView(streams=rows, workers=len(workers), running=running)
