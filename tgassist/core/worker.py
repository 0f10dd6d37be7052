"""Worker runtime: runs declared stages on Redis Streams consumer groups.

Per batch: validate → skip already-processed event ids → run handlers (bounded concurrency) →
XACK + remember ids in one pipeline. A failing entry stays pending and is re-claimed after an
exponential backoff; after `max_deliveries` it goes to `<stream>:dlq` with the error. Entries a
crashed consumer left pending are taken over with XAUTOCLAIM after the visibility timeout.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from pydantic import ValidationError

from tgassist.core.bus import Bus, Delivery, backoff_delay
from tgassist.core.events import Event
from tgassist.core.metrics import BUS_MESSAGES, HANDLER_SECONDS
from tgassist.core.product import Stage
from tgassist.core.redis import process_tag

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

HEARTBEAT_PREFIX = "worker:"


def done_key(group: str, event_id: str) -> str:
    return f"done:{group}:{event_id}"


@dataclass(frozen=True)
class StageContext:
    """What a handler gets besides its event."""

    app: App
    stage: Stage
    delivery: Delivery

    @property
    def attempt(self) -> int:
        return self.delivery.deliveries


@dataclass
class WorkerStats:
    processed: int = 0
    failed: int = 0
    dead_lettered: int = 0
    skipped: int = 0
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class Worker:
    """Runs `stages` until `stop()`; in-flight batches finish and are acked before it returns."""

    def __init__(self, app: App, stages: Sequence[Stage], name: str | None = None) -> None:
        self.app = app
        self.stages = list(stages)
        self.name = name or f"w-{process_tag()}"
        s = app.settings
        self.batch_size = s.bus_batch_size
        self.block_ms = s.bus_block_ms
        self.visibility_ms = int(s.bus_visibility_timeout_sec * 1000)
        self.stats = WorkerStats()
        self._stopping = asyncio.Event()
        self._retry_tasks: set[asyncio.Task[None]] = set()

    @property
    def bus(self) -> Bus:
        return self.app.bus

    def stop(self) -> None:
        self._stopping.set()

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)

    async def run(self) -> None:
        for st in self.stages:
            await self.bus.ensure_group(st.stream, st.group_name)
        log.info("worker started", worker=self.name, stages=[s.name for s in self.stages])
        tasks = [asyncio.create_task(self._consume(st), name=f"consume:{st.name}") for st in self.stages]
        tasks.append(asyncio.create_task(self._reclaim_loop(), name="reclaim"))
        tasks.append(asyncio.create_task(self._heartbeat_loop(), name="heartbeat"))
        try:
            await self._stopping.wait()
        finally:
            self._stopping.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            for t in self._retry_tasks:
                t.cancel()  # still pending in Redis; another consumer reclaims them
            await self.app.redis.delete(HEARTBEAT_PREFIX + self.name)
            log.info("worker stopped", worker=self.name, **self.stats.__dict__)

    async def run_until_idle(self, idle_rounds: int = 2) -> None:
        """Process until no stage has new, pending or retrying entries (tests, CLI drains)."""
        for st in self.stages:
            await self.bus.ensure_group(st.stream, st.group_name)
        quiet = 0
        while quiet < idle_rounds:
            busy = False
            for st in self.stages:
                batch = await self.bus.read(st.stream, st.group_name, self.name, self.batch_size, None)
                if batch:
                    busy = True
                    await self.process(st, batch)
            if self._retry_tasks:
                busy = True
                await asyncio.sleep(0.05)
            quiet = 0 if busy else quiet + 1

    async def _consume(self, stage: Stage) -> None:
        while not self._stopping.is_set():
            try:
                batch = await self.bus.read(stage.stream, stage.group_name, self.name, self.batch_size, self.block_ms)
            except Exception as err:
                log.warning("stream read failed; retrying", stream=stage.stream, error=str(err))
                await _sleep_or_stop(self._stopping, 1.0)
                continue
            if batch:
                await self.process(stage, batch)

    async def _reclaim_loop(self) -> None:
        period = max(0.5, self.visibility_ms / 2000)
        while not await _sleep_or_stop(self._stopping, period):
            for stage in self.stages:
                try:
                    batch = await self.bus.claim_stale(
                        stage.stream, stage.group_name, self.name, self.visibility_ms, self.batch_size
                    )
                except Exception as err:
                    log.warning("reclaim failed", stream=stage.stream, error=str(err))
                    continue
                if batch:
                    log.info("reclaimed stale entries", stage=stage.name, count=len(batch))
                    await self.process(stage, batch)

    async def reclaim_now(self, min_idle_ms: int | None = None) -> int:
        """One reclaim pass over every stage (used after a crash in tests and by the CLI)."""
        n = 0
        for stage in self.stages:
            batch = await self.bus.claim_stale(
                stage.stream, stage.group_name, self.name,
                self.visibility_ms if min_idle_ms is None else min_idle_ms, self.batch_size,
            )
            n += len(batch)
            if batch:
                await self.process(stage, batch)
        return n

    async def _heartbeat_loop(self) -> None:
        period = self.app.settings.worker_heartbeat_sec
        key = HEARTBEAT_PREFIX + self.name
        while True:
            info = {"stages": [s.name for s in self.stages], "at": datetime.now(UTC).isoformat(), **self.stats.__dict__}
            try:
                await self.app.redis.set(key, json.dumps(info), ex=max(1, int(period * 3)))
            except Exception as err:
                log.warning("heartbeat failed", error=str(err))
            if await _sleep_or_stop(self._stopping, period):
                return

    async def process(self, stage: Stage, batch: Sequence[Delivery]) -> None:
        """Handle one batch of deliveries of `stage` (validation, dedupe, handlers, acks)."""
        group = stage.group_name
        max_deliveries = stage.max_deliveries or self.app.settings.bus_max_deliveries
        redis = self.app.redis
        valid: list[tuple[Delivery, Event]] = []
        for d in batch:
            if d.deliveries > max_deliveries:
                await self._dead_letter(stage, d, "delivered too many times (consumer crashed while handling it)")
                continue
            try:
                valid.append((d, stage.event.decode(d.fields)))
            except (ValidationError, ValueError) as err:
                await self._dead_letter(stage, d, f"malformed event: {err}")
        if stage.dedupe and valid:
            pipe = redis.pipeline(transaction=False)
            for _, ev in valid:
                pipe.exists(done_key(group, ev.event_id))
            seen = await pipe.execute()
            first: set[str] = set()  # the same event twice in one batch counts as seen too
            for i, (_, ev) in enumerate(valid):
                if ev.event_id in first:
                    seen[i] = 1
                first.add(ev.event_id)
            dup = [d.id for (d, _), s in zip(valid, seen, strict=True) if s]
            if dup:
                await self.bus.ack(stage.stream, group, dup)
                self.stats.skipped += len(dup)
                BUS_MESSAGES.labels(stage.stream, group, "duplicate").inc(len(dup))
                valid = [(d, ev) for (d, ev), s in zip(valid, seen, strict=True) if not s]
        if not valid:
            return
        sem = asyncio.Semaphore(stage.concurrency)
        results = await asyncio.gather(*(self._run_one(stage, d, ev, sem) for d, ev in valid))
        ok = [(d, ev) for (d, ev), err in zip(valid, results, strict=True) if err is None]
        if ok:
            pipe = redis.pipeline(transaction=False)
            pipe.xack(stage.stream, group, *[d.id for d, _ in ok])
            if stage.dedupe:
                ttl = self.app.settings.idempotency_ttl_sec
                for _, ev in ok:
                    pipe.set(done_key(group, ev.event_id), 1, ex=ttl)
            await pipe.execute()
            self.stats.processed += len(ok)
            BUS_MESSAGES.labels(stage.stream, group, "processed").inc(len(ok))
        for (d, _ev), err in zip(valid, results, strict=True):
            if err is None:
                continue
            self.stats.failed += 1
            BUS_MESSAGES.labels(stage.stream, group, "failed").inc()
            if d.deliveries >= max_deliveries:
                await self._dead_letter(stage, d, err)
            else:
                self._schedule_retry(stage, d, err)

    async def _run_one(self, stage: Stage, d: Delivery, ev: Event, sem: asyncio.Semaphore) -> str | None:
        async with sem:
            started = time.perf_counter()
            try:
                await stage.handler(ev, StageContext(self.app, stage, d))
                return None
            except asyncio.CancelledError:
                raise
            except Exception as err:
                log.warning(
                    "handler failed", stage=stage.name, entry=d.id, attempt=d.deliveries,
                    error=f"{type(err).__name__}: {err}", trace_id=ev.trace_id,
                )
                return f"{type(err).__name__}: {err}"
            finally:
                HANDLER_SECONDS.labels(stage.name).observe(time.perf_counter() - started)

    async def _dead_letter(self, stage: Stage, d: Delivery, error: str) -> None:
        await self.bus.dead_letter(stage.group_name, d, error)
        self.stats.dead_lettered += 1
        BUS_MESSAGES.labels(stage.stream, stage.group_name, "dead_lettered").inc()
        log.error("dead-lettered", stage=stage.name, entry=d.id, deliveries=d.deliveries, error=error)

    def _schedule_retry(self, stage: Stage, d: Delivery, error: str) -> None:
        s = self.app.settings
        delay = backoff_delay(d.deliveries, s.bus_retry_base_sec, s.bus_retry_max_sec)
        task = asyncio.create_task(self._retry(stage, d, delay))
        self._retry_tasks.add(task)
        task.add_done_callback(self._retry_tasks.discard)

    async def _retry(self, stage: Stage, d: Delivery, delay: float) -> None:
        await asyncio.sleep(delay)
        # min-idle: if another consumer reclaimed it meanwhile, its idle time was reset: leave it.
        claimed = await self.bus.claim(stage.stream, stage.group_name, self.name, [d.id], int(delay * 900))
        if claimed:
            await self.process(stage, claimed)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds`; True if `stop` was set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
        return True
    except TimeoutError:
        return stop.is_set()
