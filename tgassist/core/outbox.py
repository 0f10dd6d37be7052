"""Transactional outbox: events are rows committed with the data; a relay publishes them.

A crash after commit and before XADD loses nothing (the row stays unpublished); a crash after
XADD and before marking re-publishes the same event id, which consumers skip (idempotency keys).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import structlog
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tgassist.core.bus import Bus
from tgassist.core.db import Database, utcnow
from tgassist.core.events import Event
from tgassist.core.locks import OwnedLock
from tgassist.core.metrics import OUTBOX_PUBLISHED
from tgassist.core.models import OutboxRow
from tgassist.core.redis import Redis

log = structlog.get_logger(__name__)

RELAY_LOCK = "lock:outbox-relay"


def add_event(session: AsyncSession, stream: str, event: Event) -> None:
    """Stage `event` for `stream` in the caller's transaction."""
    session.add(
        OutboxRow(
            event_id=event.event_id,
            stream=stream,
            event_type=event.TYPE,
            schema_version=event.schema_version,
            payload=event.model_dump_json(),
        )
    )


def add_events(session: AsyncSession, items: Sequence[tuple[str, Event]]) -> None:
    for stream, event in items:
        add_event(session, stream, event)


class OutboxRelay:
    """Publishes unpublished outbox rows in id order; one relay at a time (Redis lock)."""

    def __init__(
        self,
        db: Database,
        redis: Redis,
        bus: Bus,
        batch: int = 1000,
        keep_published: timedelta = timedelta(days=1),
        lock_ttl: float = 15.0,
    ) -> None:
        self.db = db
        self.redis = redis
        self.bus = bus
        self.batch = batch
        self.keep_published = keep_published
        self.lock_ttl = lock_ttl  # a killed relay's lock is taken over (owned lock)
        self.wakeup = asyncio.Event()
        self._sentinel_checked = False

    def kick(self) -> None:
        """Wake the relay now (call after committing rows) instead of waiting for the poll."""
        self.wakeup.set()

    async def relay_once(self) -> int:
        """Publish up to one batch; returns how many were published (0 if another relay runs)."""
        lock = OwnedLock(self.redis, RELAY_LOCK, ttl=self.lock_ttl)
        if not await lock.acquire():
            return 0
        try:
            async with self.db.session() as session:
                rows = (
                    await session.execute(
                        select(
                            OutboxRow.id, OutboxRow.stream, OutboxRow.event_type, OutboxRow.payload
                        )
                        .where(OutboxRow.published_at.is_(None))
                        .order_by(OutboxRow.id)
                        .limit(self.batch)
                    )
                ).all()
                if not rows:
                    return 0
                if not self._sentinel_checked:
                    await self._mark_fresh_bus(session)
                results = await self.bus.publish_each(
                    [(r.stream, {"type": r.event_type, "data": r.payload}) for r in rows]
                )
                # Mark exactly what went out: a row Redis refused must not make the whole batch
                # go out again on every poll; it stays unpublished with its error.
                # The stream id is kept: it shows when Redis falls behind what was published.
                sent = [
                    {"rid": r.id, "sid": str(res)}
                    for r, res in zip(rows, results, strict=True)
                    if not isinstance(res, Exception)
                ]
                if sent:
                    now = utcnow()
                    table = OutboxRow.metadata.tables[OutboxRow.__tablename__]  # Core: executemany
                    await session.execute(
                        update(table)
                        .where(table.c.id == bindparam("rid"))
                        .values(published_at=now, stream_id=bindparam("sid")),
                        sent,
                    )
                for r, res in zip(rows, results, strict=True):
                    if isinstance(res, Exception):
                        log.warning(
                            "outbox row not published", row=r.id, stream=r.stream, error=str(res)
                        )
                        await session.execute(
                            update(OutboxRow)
                            .where(OutboxRow.id == r.id)
                            .values(attempts=OutboxRow.attempts + 1, last_error=str(res)[:2000])
                        )
            OUTBOX_PUBLISHED.inc(len(sent))
            return len(sent)
        finally:
            await lock.release()

    async def _mark_fresh_bus(self, session: AsyncSession) -> None:
        """Before this process first publishes: set the bus marker (`core.recovery`) when
        nothing was ever published. If rows were, a missing marker means Redis lost its data:
        leave it missing, so the loss is detected and re-driven."""
        from tgassist.core.recovery import SENTINEL_KEY

        if not await self.redis.exists(SENTINEL_KEY):
            published = await session.scalar(
                select(OutboxRow.id).where(OutboxRow.published_at.is_not(None)).limit(1)
            )
            if published is None:
                await self.redis.set(SENTINEL_KEY, utcnow().isoformat(), nx=True)
        self._sentinel_checked = True

    async def drain(self) -> int:
        """Publish until nothing is left (used by CLI commands and tests)."""
        total = 0
        while n := await self.relay_once():
            total += n
        return total

    async def prune(self) -> int:
        async with self.db.session() as session:
            res = await session.execute(
                delete(OutboxRow).where(OutboxRow.published_at < utcnow() - self.keep_published)
            )
            return int(res.rowcount or 0)  # type: ignore[attr-defined]

    async def pending(self) -> int:
        from sqlalchemy import func

        async with self.db.session() as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(OutboxRow)
                    .where(OutboxRow.published_at.is_(None))
                )
                or 0
            )

    async def run(self, stop: asyncio.Event, poll: float = 0.5) -> None:
        """Relay loop until `stop` is set; errors are logged and retried after the poll period."""
        while not stop.is_set():
            try:
                n = await self.relay_once()
            except Exception as err:
                log.warning("outbox relay failed; retrying", error=str(err))
                n = 0
            if n:
                continue
            self.wakeup.clear()
            waiters = [
                asyncio.ensure_future(stop.wait()),
                asyncio.ensure_future(self.wakeup.wait()),
            ]
            await asyncio.wait(waiters, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()
