"""What the worker does when things around it fail: unreachable backends (park entries, wait for
the breakers), lost consumer groups and lost Redis data (recreate, re-drive), and stages that may
run in one process only (hold their lock or skip them)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import structlog
from redis.exceptions import ResponseError

from tgassist.core.breaker import Breaker, Breakers
from tgassist.core.bus import Bus, Delivery
from tgassist.core.locks import OwnedLock
from tgassist.core.product import Stage

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger("tgassist.core.worker")


class FaultHandling:
    """Mixin of `Worker` (which provides the attributes and methods declared here)."""

    app: App
    name: str
    breakers: Breakers
    bus_lost: asyncio.Event
    exclusive_stages: list[str]
    visibility_ms: int
    stages: list[Stage]
    _stopping: asyncio.Event

    @property
    def bus(self) -> Bus:
        return self.app.bus

    def _stage_tasks(self, stages: Sequence[Stage]) -> list[asyncio.Task[None]]:
        raise NotImplementedError

    async def process(
        self, stage: Stage, batch: Sequence[Delivery], prefetch: bool = False
    ) -> list[Delivery]:
        raise NotImplementedError

    def _spawn(self, coro: Any) -> None:
        raise NotImplementedError

    async def _run_exclusive(self, key: str, stages: list[Stage]) -> None:
        """Run `stages` only while holding the `key` lock: one process at a time (embedded
        Qdrant/LadybugDB are single-process). Others skip them, say so, and take over when the
        holder is gone."""
        names = [st.name for st in stages]
        lock = OwnedLock(self.app.redis, f"lock:stages:{key}", ttl=self.app.settings.lock_ttl_sec)
        announced = False
        while not await lock.acquire():
            if not announced:
                log.warning(
                    "stages skipped: they run in one process with embedded stores, and another "
                    "worker runs them; set TGASSIST_QDRANT_URL and TGASSIST_NEO4J_URL to run "
                    "them in many",
                    stages=names,
                    holder=await lock.holder(),
                )
                announced = True
            if await sleep_or_stop(self._stopping, self.app.settings.lock_ttl_sec / 3):
                return
        log.info("single-process stages run here", stages=names, key=key)
        self.exclusive_stages = names
        tasks = self._stage_tasks(stages)
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await lock.release()

    async def _on_bus_error(self, stage: Stage, err: Exception, what: str) -> bool:
        """Handle a failed bus call; True when it was dealt with (group recreated, breaker open)."""
        if isinstance(err, ResponseError) and "NOGROUP" in str(err):
            # Redis lost the group (flushed, failed over to an empty replica, restarted without
            # persistence): recreate it and have the loss check re-drive what was lost.
            log.error("consumer group missing: recreated", stage=stage.name, stream=stage.stream)
            await self.bus.ensure_group(stage.stream, stage.group_name)
            self.bus_lost.set()
            return True
        breaker = self.breakers.for_error(err)
        if breaker is not None and await breaker.confirm(err):
            return True
        log.error(what, stage=stage.name, error=f"{type(err).__name__}: {err}")
        return False

    async def _guard_loop(self) -> None:
        """Check that Redis still holds the bus; when it lost it, re-drive from the database."""
        from tgassist.core.recovery import detect_loss, recover

        period = self.app.settings.bus_loss_check_sec
        while not self._stopping.is_set():
            self.bus_lost.clear()
            try:
                if await detect_loss(self.app, self.stages):
                    await recover(self.app, self.stages)
            except Exception as err:
                breaker = self.breakers.for_error(err)
                if breaker is None or not await breaker.confirm(err):
                    log.warning("bus loss check failed", error=f"{type(err).__name__}: {err}")
            waiters = [
                asyncio.ensure_future(self.bus_lost.wait()),
                asyncio.ensure_future(self._stopping.wait()),
            ]
            try:
                await asyncio.wait(waiters, timeout=period, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()

    async def _resume_parked(self, stage: Stage, d: Delivery, breaker: Breaker) -> None:
        """Hold an entry that failed on an unreachable backend until the backend is back.

        Its idle time is kept fresh (no reclaim elsewhere takes it while we wait) and, once the
        breakers close, it is claimed with its delivery count unchanged: the outage cost nothing.
        """
        refresh = max(0.2, self.visibility_ms / 3000)
        while self.breakers.any_open:
            waiter = asyncio.ensure_future(self.breakers.wait_closed(self._stopping))
            try:
                await asyncio.wait_for(asyncio.shield(waiter), refresh)
            except TimeoutError:
                pass
            finally:
                waiter.cancel()
            if self._stopping.is_set():
                return  # stays pending: reclaimed (with one delivery more) by whoever runs next
            if self.breakers.any_open and not self.breakers.redis.is_open:
                try:
                    await self.bus.keep(stage.stream, stage.group_name, self.name, [d.id])
                except Exception as err:
                    log.warning("could not keep parked entry", entry=d.id, error=str(err))
        try:
            claimed = await self.bus.claim(
                stage.stream, stage.group_name, self.name, [d.id], 0, retrycount=d.deliveries
            )
            if claimed:
                await self.process(stage, claimed)
        except Exception as err:
            if not await self._on_bus_error(stage, err, "parked entry failed; left pending"):
                return
            if not self._stopping.is_set():
                self._spawn(self._resume_parked(stage, d, breaker))


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds`; True if `stop` was set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
        return True
    except TimeoutError:
        return stop.is_set()
