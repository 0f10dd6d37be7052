"""Scheduled jobs: APScheduler 3 in UTC, one firing per slot across all scheduler processes.

Every firing claims `sched:slot:{job}:{slot}` with SET NX, where a slot is the job's interval (or a
minute for cron jobs): of two schedulers firing the same slot, one runs it and the other skips. A
second lock keeps a long run from overlapping the next one in another process.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tgassist.core.locks import OwnedLock
from tgassist.core.metrics import JOB_RUNS, JOB_SECONDS
from tgassist.core.product import Job

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

JOBS_KEY = "scheduler:jobs"
HEARTBEAT_KEY = "scheduler:heartbeat"
LAST_RUNS_KEY = "scheduler:last_runs"  # job -> {"at", "seconds", "outcome", "error"} (dashboard)


def slot_width(job: Job, settings: Any) -> float:
    """Seconds one firing claims: the interval, or a minute for cron jobs."""
    _cron, every, _tz = job.schedule(settings)
    return every if every else 60.0


async def run_job_once(app: App, job: Job, now: float | None = None) -> bool:
    """Run `job` unless another scheduler already took this slot or is still running it."""
    now = time.time() if now is None else now
    redis = app.redis
    width = slot_width(job, app.settings)
    slot_key = f"sched:slot:{job.name}:{int(now // width)}"
    if not await redis.set(slot_key, "1", nx=True, ex=max(2, int(width * 2))):
        JOB_RUNS.labels(job.name, "skipped").inc()
        return False
    # Owned and renewed while the run lasts: a killed scheduler's run does not block the job.
    lock = OwnedLock(redis, f"sched:running:{job.name}", ttl=app.settings.lock_ttl_sec)
    if not await lock.acquire():
        JOB_RUNS.labels(job.name, "skipped").inc()
        log.info("job still running elsewhere; skipped", job=job.name)
        return False
    started = time.perf_counter()
    outcome, error = "ok", None
    try:
        await job.func(app)
        JOB_RUNS.labels(job.name, "ok").inc()
        return True
    except Exception as err:
        outcome, error = "error", str(err)[:500] or type(err).__name__
        JOB_RUNS.labels(job.name, "error").inc()
        log.exception("job failed", job=job.name, error=str(err))
        return True
    finally:
        seconds = time.perf_counter() - started
        JOB_SECONDS.labels(job.name).observe(seconds)
        await _record_run(app, job.name, now, seconds, outcome, error)
        await lock.release()


async def _record_run(
    app: App, name: str, at: float, seconds: float, outcome: str, error: str | None
) -> None:
    """The last run of each job, for the dashboard (never fails the job)."""
    record = {
        "at": datetime.fromtimestamp(at, UTC).isoformat(),
        "seconds": round(seconds, 3),
        "outcome": outcome,
        "error": error,
    }
    try:
        await app.redis.hset(LAST_RUNS_KEY, name, json.dumps(record))
    except Exception as err:
        log.warning("could not record the job run", job=name, error=str(err))


def build_trigger(job: Job, settings: Any) -> Any:
    cron, every, tz = job.schedule(settings)
    if cron:
        return CronTrigger.from_crontab(cron, timezone=tz)
    return IntervalTrigger(seconds=float(every or 0), timezone=UTC)


class Scheduler:
    """Runs the declared jobs; writes their next run times to Redis for `tgassist status`."""

    def __init__(self, app: App, jobs: Sequence[Job]) -> None:
        self.app = app
        self.jobs = [j for j in jobs if j.enabled is None or j.enabled(app.settings)]
        self._running: set[asyncio.Task[Any]] = set()
        self.aps = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 60},
        )

    async def _fire(self, job: Job) -> None:
        task = asyncio.current_task()
        if task:
            self._running.add(task)
        try:
            await run_job_once(self.app, job)
            await self.publish_state()
        finally:
            if task:
                self._running.discard(task)

    async def publish_state(self) -> None:
        state = {}
        for aps_job in self.aps.get_jobs():
            nxt = aps_job.next_run_time
            state[aps_job.id] = json.dumps(
                {"next_run": nxt.astimezone(UTC).isoformat() if nxt else None}
            )
        if state:
            pipe = self.app.redis.pipeline(transaction=False)
            pipe.delete(JOBS_KEY)
            pipe.hset(JOBS_KEY, mapping=state)
            pipe.set(HEARTBEAT_KEY, datetime.now(UTC).isoformat(), ex=120)
            await pipe.execute()

    async def start(self) -> None:
        for job in self.jobs:
            self.aps.add_job(
                self._fire,
                build_trigger(job, self.app.settings),
                args=[job],
                id=job.name,
                name=job.name,
                replace_existing=True,
            )
        self.aps.start()
        await self.publish_state()
        log.info("scheduler started", jobs=[j.name for j in self.jobs])

    async def heartbeat(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.publish_state()
            except Exception as err:
                log.warning("scheduler heartbeat failed", error=str(err))
            try:
                await asyncio.wait_for(stop.wait(), timeout=30)
            except TimeoutError:
                pass

    def shutdown(self) -> None:
        """Stop at once; APScheduler cancels jobs still running (use `stop` to let them finish)."""
        if self.aps.running:
            self.aps.shutdown(wait=False)

    async def stop(self) -> None:
        """Graceful stop: fire nothing new, let running jobs finish, then shut down."""
        if self.aps.running:
            self.aps.pause()
        if self._running:
            log.info("waiting for running jobs", jobs=len(self._running))
            await asyncio.gather(*list(self._running), return_exceptions=True)
        self.shutdown()
