"""Worker runtime: runs declared stages on Redis Streams consumer groups.

Per batch: validate → skip already-processed event ids → run handlers (bounded concurrency) →
XACK + remember ids in one pipeline. A failing entry stays pending and is re-claimed after an
exponential backoff; after `max_deliveries` it goes to `<stream>:dlq` with the error. Entries a
crashed consumer left pending are taken over with XAUTOCLAIM after the visibility timeout.

A handler failing because the database or Redis is unreachable (`core.breaker`) consumes no
delivery: the backend's breaker opens, every stage stops reading, the entry is parked (still
pending, held by this consumer) and runs again once a probe finds the backend back.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import ValidationError

from tgassist.core.breaker import Breakers
from tgassist.core.bus import Delivery, backoff_delay, parse_read
from tgassist.core.events import Event
from tgassist.core.metrics import BUS_MESSAGES, HANDLER_SECONDS
from tgassist.core.product import Stage
from tgassist.core.redis import process_tag
from tgassist.core.worker_faults import FaultHandling, sleep_or_stop

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

HEARTBEAT_PREFIX = "worker:"


def done_keys(group: str, ttl: int, now: float | None = None) -> tuple[str, str]:
    """The current and previous sets of event ids `group` processed.

    Ids go into the set of the current half-TTL bucket; each set expires one TTL after its bucket
    closes, so an id is remembered between TTL/2 and TTL (plain sets: O(1) adds and lookups).
    """
    width = max(1, ttl // 2)
    bucket = int((time.time() if now is None else now) // width)
    return f"done:{group}:{bucket}", f"done:{group}:{bucket - 1}"


async def is_done(redis: Any, group: str, event_id: str, ttl: int) -> bool:
    current, previous = done_keys(group, ttl)
    return bool(
        await redis.sismember(current, event_id) or await redis.sismember(previous, event_id)
    )


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
    parked: int = 0  # failed on an unreachable backend: delivery refunded, run again later
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class Worker(FaultHandling):
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
        self.breakers = Breakers.for_app(app)
        self.shutdown_grace = s.worker_shutdown_grace_sec
        self.exclusive_stages: list[str] = []  # single-process stages this worker holds
        self.bus_lost = asyncio.Event()  # a NOGROUP was seen: check Redis for lost data now
        self._stopping = asyncio.Event()
        self._retry_tasks: set[asyncio.Task[None]] = set()
        self._metric_children: dict[tuple[str, str], Any] = {}

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
        exclusive: dict[str, list[Stage]] = {}
        for st in self.stages:
            key = st.exclusive(self.app.settings) if st.exclusive else None
            if key:
                exclusive.setdefault(key, []).append(st)
        held = {st.name for group in exclusive.values() for st in group}
        tasks = self._stage_tasks([st for st in self.stages if st.name not in held])
        tasks += [
            asyncio.create_task(self._run_exclusive(key, group), name=f"exclusive:{key}")
            for key, group in exclusive.items()
        ]
        tasks.append(asyncio.create_task(self._heartbeat_loop(), name="heartbeat"))
        tasks.append(asyncio.create_task(self._guard_loop(), name="bus-guard"))
        try:
            await self._stopping.wait()
        finally:
            self._stopping.set()
            # Retries still backing off return at once (their entries stay pending and are
            # reclaimed); handlers already running get the grace period to finish and ack.
            running = [*tasks, *self._retry_tasks]
            _done, late = await asyncio.wait(running, timeout=self.shutdown_grace)
            for task in late:  # their entries stay pending: reclaimed after the visibility timeout
                task.cancel()
            if late:
                log.warning("shutdown grace over: unfinished entries left pending", count=len(late))
            await asyncio.gather(*running, return_exceptions=True)
            await self.breakers.close()
            try:
                await asyncio.wait_for(self.app.redis.delete(HEARTBEAT_PREFIX + self.name), 2)
            except Exception:  # Redis gone: the heartbeat expires on its own
                pass
            log.info("worker stopped", worker=self.name, **self.stats.__dict__)

    def _stage_tasks(self, stages: Sequence[Stage]) -> list[asyncio.Task[None]]:
        # One reclaim loop per stage: a stage whose handlers wait (a lock, a slow API) never
        # holds up the takeover of another stage's entries.
        return [
            asyncio.create_task(loop(st), name=f"{kind}:{st.name}")
            for st in stages
            for kind, loop in (("consume", self._consume), ("reclaim", self._reclaim_loop))
        ]

    async def run_until_idle(self, idle_rounds: int = 2) -> None:
        """Process until no stage has new, pending or retrying entries (tests, CLI drains)."""
        for st in self.stages:
            await self.bus.ensure_group(st.stream, st.group_name)
        quiet = 0
        while quiet < idle_rounds:
            busy = False
            for st in self.stages:
                batch = await self.bus.read(
                    st.stream, st.group_name, self.name, self.batch_size, None
                )
                if batch:
                    busy = True
                    await self.process(st, batch)
            if self._retry_tasks:
                busy = True
                await asyncio.sleep(0.05)
            quiet = 0 if busy else quiet + 1

    async def _consume(self, stage: Stage) -> None:
        while await self.breakers.wait_closed(self._stopping):
            try:
                batch = await self.bus.read(
                    stage.stream, stage.group_name, self.name, self.batch_size, self.block_ms
                )
            except Exception as err:
                if not await self._on_bus_error(stage, err, "stream read failed"):
                    await sleep_or_stop(self._stopping, 1.0)
                continue
            while batch:  # a full batch likely has a successor: fetch it with the acks
                try:
                    batch = await self.process(stage, batch, prefetch=not self._stopping.is_set())
                except Exception as err:  # entries stay pending; the reclaim loop retries them
                    if not await self._on_bus_error(stage, err, "batch failed; left pending"):
                        await sleep_or_stop(self._stopping, 1.0)
                    batch = []

    async def _reclaim_loop(self, stage: Stage) -> None:
        period = max(0.5, self.visibility_ms / 2000)
        while not await sleep_or_stop(self._stopping, period):
            if not await self.breakers.wait_closed(self._stopping):
                return
            try:
                batch = await self.bus.claim_stale(
                    stage.stream, stage.group_name, self.name, self.visibility_ms, self.batch_size
                )
            except Exception as err:
                await self._on_bus_error(stage, err, "reclaim failed")
                continue
            if batch:
                log.info("reclaimed stale entries", stage=stage.name, count=len(batch))
                try:
                    await self.process(stage, batch)
                except Exception as err:
                    await self._on_bus_error(stage, err, "reclaimed batch failed; left pending")

    async def reclaim_now(self, min_idle_ms: int | None = None) -> int:
        """One reclaim pass over every stage (used after a crash in tests and by the CLI)."""
        n = 0
        for stage in self.stages:
            batch = await self.bus.claim_stale(
                stage.stream,
                stage.group_name,
                self.name,
                self.visibility_ms if min_idle_ms is None else min_idle_ms,
                self.batch_size,
            )
            n += len(batch)
            if batch:
                await self.process(stage, batch)
        return n

    async def _heartbeat_loop(self) -> None:
        period = self.app.settings.worker_heartbeat_sec
        key = HEARTBEAT_PREFIX + self.name
        while True:
            info = {
                "stages": [s.name for s in self.stages],
                "at": datetime.now(UTC).isoformat(),
                "paused": self.breakers.any_open,
                "exclusive": self.exclusive_stages,
                "breakers": self.breakers.report(),
                **self.stats.__dict__,
            }
            try:
                await self.app.redis.set(key, json.dumps(info), ex=max(1, int(period * 3)))
            except Exception as err:
                log.warning("heartbeat failed", error=str(err))
            if await sleep_or_stop(self._stopping, period):
                return

    async def process(
        self, stage: Stage, batch: Sequence[Delivery], prefetch: bool = False
    ) -> list[Delivery]:
        """Handle one batch of deliveries of `stage` (validation, dedupe, handlers, acks).

        With `prefetch`, the next batch is read in the same round trip as the acks and returned.
        """
        group = stage.group_name
        max_deliveries = stage.max_deliveries or self.app.settings.bus_max_deliveries
        redis = self.app.redis
        valid: list[tuple[Delivery, Event]] = []
        for d in batch:
            if d.deliveries > max_deliveries:
                await self._dead_letter(
                    stage, d, "delivered too many times (consumer crashed while handling it)"
                )
                continue
            try:
                valid.append((d, stage.event.decode(d.fields)))
            except (ValidationError, ValueError) as err:
                await self._dead_letter(stage, d, f"malformed event: {err}")
        if stage.dedupe and valid:
            valid = await self._drop_done(stage, valid)
        if not valid:
            return []
        errors = await self._run_handlers(stage, valid)
        following: list[Delivery] = []
        ok = [(d, ev) for (d, ev), error in zip(valid, errors, strict=True) if error is None]
        if ok:
            pipe = redis.pipeline(transaction=False)
            pipe.xack(stage.stream, group, *[d.id for d, _ in ok])
            if stage.dedupe:
                ttl = self.app.settings.idempotency_ttl_sec
                current, _ = done_keys(group, ttl)
                pipe.sadd(current, *[ev.event_id for _, ev in ok])
                pipe.expire(current, ttl + ttl // 2 + 1)
            prefetch = prefetch and len(batch) >= self.batch_size
            if prefetch:
                pipe.xreadgroup(group, self.name, {stage.stream: ">"}, count=self.batch_size)
            replies = await pipe.execute()
            if prefetch:
                following = parse_read(stage.stream, replies[-1])
            self.stats.processed += len(ok)
            self._metric(stage, "processed").inc(len(ok))
        for (d, _ev), error in zip(valid, errors, strict=True):
            if error is None:
                continue
            breaker = self.breakers.for_error(error)
            if breaker is not None and await breaker.confirm(error):
                self.stats.parked += 1
                self._metric(stage, "parked").inc()
                self._spawn(self._resume_parked(stage, d, breaker))
                continue
            text = f"{type(error).__name__}: {error}"
            self.stats.failed += 1
            self._metric(stage, "failed").inc()
            if d.deliveries >= max_deliveries:
                await self._dead_letter(stage, d, text)
            else:
                self._schedule_retry(stage, d, text)
        return following

    async def _drop_done(
        self, stage: Stage, valid: list[tuple[Delivery, Event]]
    ) -> list[tuple[Delivery, Event]]:
        """Ack and drop events this group already processed (or that repeat within the batch)."""
        ids = [ev.event_id for _, ev in valid]
        pipe = self.app.redis.pipeline(transaction=False)
        for key in done_keys(stage.group_name, self.app.settings.idempotency_ttl_sec):
            pipe.smismember(key, ids)
        current, previous = await pipe.execute()
        scores = [a or b for a, b in zip(current, previous, strict=True)]
        keep: list[tuple[Delivery, Event]] = []
        dup: list[str] = []
        seen: set[str] = set()
        for (d, ev), done in zip(valid, scores, strict=True):
            if done or ev.event_id in seen:
                dup.append(d.id)
            else:
                keep.append((d, ev))
            seen.add(ev.event_id)
        if dup:
            await self.bus.ack(stage.stream, stage.group_name, dup)
            self.stats.skipped += len(dup)
            self._metric(stage, "duplicate").inc(len(dup))
        return keep

    async def _run_handlers(
        self, stage: Stage, items: list[tuple[Delivery, Event]]
    ) -> list[Exception | None]:
        """Run handlers with at most `stage.concurrency` in flight; returns the error per item."""
        errors: list[Exception | None] = [None] * len(items)
        latency = self._latency(stage)
        position = iter(range(len(items)))

        async def lane() -> None:
            for i in position:
                d, ev = items[i]
                started = time.perf_counter()
                try:
                    await stage.handler(ev, StageContext(self.app, stage, d))
                except asyncio.CancelledError:
                    raise
                except Exception as err:
                    errors[i] = err
                    log.warning(
                        "handler failed",
                        stage=stage.name,
                        entry=d.id,
                        attempt=d.deliveries,
                        error=f"{type(err).__name__}: {err}",
                        trace_id=ev.trace_id,
                    )
                latency.observe(time.perf_counter() - started)

        lanes = min(stage.concurrency, len(items))
        if lanes == 1:
            await lane()
        else:
            await asyncio.gather(*(lane() for _ in range(lanes)))
        return errors

    def _metric(self, stage: Stage, outcome: str) -> Any:
        key = (stage.name, outcome)
        if key not in self._metric_children:
            self._metric_children[key] = BUS_MESSAGES.labels(
                stage.stream, stage.group_name, outcome
            )
        return self._metric_children[key]

    def _latency(self, stage: Stage) -> Any:
        key = (stage.name, "latency")
        if key not in self._metric_children:
            self._metric_children[key] = HANDLER_SECONDS.labels(stage.name)
        return self._metric_children[key]

    async def _dead_letter(self, stage: Stage, d: Delivery, error: str) -> None:
        await self.bus.dead_letter(stage.group_name, d, error)
        self.stats.dead_lettered += 1
        self._metric(stage, "dead_lettered").inc()
        log.error(
            "dead-lettered", stage=stage.name, entry=d.id, deliveries=d.deliveries, error=error
        )

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._retry_tasks.add(task)
        task.add_done_callback(self._retry_tasks.discard)

    def _schedule_retry(self, stage: Stage, d: Delivery, error: str) -> None:
        s = self.app.settings
        delay = backoff_delay(d.deliveries, s.bus_retry_base_sec, s.bus_retry_max_sec)
        self._spawn(self._retry(stage, d, delay))

    async def _retry(self, stage: Stage, d: Delivery, delay: float) -> None:
        if await sleep_or_stop(self._stopping, delay):
            return  # shutting down: the entry stays pending and is reclaimed later
        try:
            # min-idle: if another consumer reclaimed it meanwhile, its idle time was reset: leave it.
            claimed = await self.bus.claim(
                stage.stream, stage.group_name, self.name, [d.id], int(delay * 900)
            )
            if claimed:
                await self.process(stage, claimed)
        except Exception as err:  # still pending: the reclaim loop takes it after the timeout
            log.error("retry failed; left pending", stage=stage.name, entry=d.id, error=str(err))
