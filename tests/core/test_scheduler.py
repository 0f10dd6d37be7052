"""Scheduled jobs: each firing runs once across scheduler processes; next runs are visible."""

from __future__ import annotations

import asyncio
import json

import pytest

from tgassist.app import App
from tgassist.core.product import Job
from tgassist.core.scheduler import JOBS_KEY, Scheduler, run_job_once


async def test_two_schedulers_firing_the_same_slot_run_it_once(app: App) -> None:
    runs: list[str] = []

    async def tick(a: App) -> None:
        runs.append("x")

    job = Job("tick", tick, every_sec=300)
    now = 1_000_000.0
    first, second = await asyncio.gather(
        run_job_once(app, job, now), run_job_once(app, job, now + 10)
    )
    assert sorted([first, second]) == [False, True]
    assert runs == ["x"]
    assert await run_job_once(app, job, now + 300)  # the next slot runs again
    assert runs == ["x", "x"]


async def test_a_long_run_is_not_overlapped_by_another_process(app: App) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    runs = 0

    async def slow(a: App) -> None:
        nonlocal runs
        runs += 1
        started.set()
        await release.wait()

    job = Job("slow", slow, every_sec=1)
    t = asyncio.create_task(run_job_once(app, job, 5000.0))
    await started.wait()
    assert await run_job_once(app, job, 5001.0) is False  # next slot, but still running elsewhere
    release.set()
    assert await t
    assert runs == 1


async def test_failing_job_is_logged_and_scheduler_keeps_going(app: App) -> None:
    async def broken(a: App) -> None:
        raise RuntimeError("job bug")

    assert await run_job_once(app, Job("broken", broken, every_sec=60), 42.0) is True


async def test_scheduler_publishes_next_runs(app: App) -> None:
    async def noop(a: App) -> None:
        return None

    sched = Scheduler(
        app, [Job("every_min", noop, every_sec=60), Job("nightly", noop, cron="0 3 * * *")]
    )
    await sched.start()
    try:
        state = await app.redis.hgetall(JOBS_KEY)
        assert set(state) == {"every_min", "nightly"}
        assert json.loads(state["nightly"])["next_run"].endswith("03:00:00+00:00")
        assert all(j.max_instances == 1 and j.coalesce for j in sched.aps.get_jobs())
    finally:
        sched.shutdown()


def test_job_needs_exactly_one_trigger() -> None:
    async def f(a: App) -> None:
        return None

    with pytest.raises(ValueError):
        Job("bad", f)
    with pytest.raises(ValueError):
        Job("bad", f, cron="* * * * *", every_sec=5)


async def test_schedules_can_come_from_settings(app: App) -> None:
    runs: list[int] = []

    async def tick(a: App) -> None:
        runs.append(1)

    job = Job(
        "configured", tick, every_sec=lambda s: s.worker_heartbeat_sec * 100
    )  # 500 s by default
    assert job.schedule(app.settings) == (None, 500.0, "UTC")
    assert await run_job_once(app, job, 1000.0)
    assert not await run_job_once(app, job, 1400.0)  # same 500 s slot
    assert await run_job_once(app, job, 1500.0)
    sched = Scheduler(app, [job])
    await sched.start()
    try:
        assert sched.aps.get_job("configured").trigger.interval.total_seconds() == 500
    finally:
        sched.shutdown()


async def test_graceful_stop_lets_a_running_job_finish(app: App) -> None:
    started = asyncio.Event()
    finished: list[int] = []

    async def slow(a: App) -> None:
        started.set()
        await asyncio.sleep(0.5)
        finished.append(1)

    sched = Scheduler(app, [Job("slow_tick", slow, every_sec=1)])
    await sched.start()
    await asyncio.wait_for(started.wait(), 5)
    await sched.stop()  # Ctrl-C while the job runs
    assert finished == [1]
    assert not await app.redis.exists("sched:running:slow_tick")  # lock released


async def test_startup_hook_runs_once_across_schedulers_starting_together(app: App) -> None:
    from tgassist.runtime import run_startup_hook

    runs = 0
    gate = asyncio.Event()

    async def backfill(a: App) -> None:
        nonlocal runs
        runs += 1
        await gate.wait()

    first = asyncio.create_task(run_startup_hook(app, backfill))
    await asyncio.sleep(0.05)
    assert await run_startup_hook(app, backfill) is False  # a second scheduler starting meanwhile
    gate.set()
    assert await first is True
    assert runs == 1
    assert await run_startup_hook(app, backfill) is True  # a later restart runs it again
    assert runs == 2
