"""Redis loses its data mid-pipeline (FLUSHDB: what a failover to an empty replica or a restart
without persistence looks like): groups are recreated, the loss is detected and re-driven from
the outbox, health is red meanwhile, and every event ends up processed exactly once in effect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from tests.core.crash_worker import STAGE, Job
from tests.core.tcpproxy import until
from tgassist.app import App
from tgassist.core.health import details
from tgassist.core.models import User
from tgassist.core.outbox import add_event
from tgassist.core.recovery import SENTINEL_KEY, bus_health, detect_loss, recover
from tgassist.core.worker import Worker


async def _users(app: App) -> int:
    async with app.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(User)) or 0)


async def _has_users(app: App, n: int) -> bool:
    return await _users(app) >= n


async def _bus_ok(app: App) -> bool:
    return (await bus_health(app))["status"] == "ok"


async def _stage_rows(app: App, numbers: range) -> None:
    async with app.db.session() as s:
        for n in numbers:
            add_event(s, STAGE.stream, Job(n=n))
    app.outbox.kick()


async def test_redis_emptied_mid_pipeline_every_event_processed_once(
    make_app: Callable[..., Any],
) -> None:
    app = await make_app(bus_loss_check_sec=0.3, bus_visibility_timeout_sec=2.0)
    total = 120
    worker = Worker(app, [STAGE], name="loss-worker")
    stop = asyncio.Event()
    runner = asyncio.create_task(worker.run())
    relay = asyncio.create_task(app.outbox.run(stop, poll=0.1))
    try:
        await _stage_rows(app, range(60))
        for _ in range(200):
            if await _users(app) >= 10:
                break
            await asyncio.sleep(0.05)
        await app.redis.flushdb()  # streams, groups, pending entries, processed ids: all gone
        await _stage_rows(app, range(60, total))
        await until(lambda: _has_users(app, total), 20)
        await until(lambda: _bus_ok(app), 20)
        assert (await bus_health(app))["status"] == "ok"
    finally:
        stop.set()
        worker.stop()
        await asyncio.wait_for(asyncio.gather(runner, relay), 30)
    async with app.db.session() as s:
        ids = sorted((await s.execute(select(User.telegram_id))).scalars())
    assert ids == list(range(total))  # each once: none missing, none twice
    stats = await app.bus.stats(STAGE.stream, STAGE.group_name)
    assert stats.dlq == 0 and stats.pending == 0 and stats.lag == 0
    assert await app.outbox.pending() == 0


async def test_fresh_redis_is_not_a_loss_and_recovery_runs_once(
    make_app: Callable[..., Any],
) -> None:
    app = await make_app()
    assert await detect_loss(app) == []  # nothing ever published: a fresh install
    assert await app.redis.exists(SENTINEL_KEY)
    await _stage_rows(app, range(5))
    assert await app.outbox.drain() == 5
    await app.redis.flushdb()
    report = await details(app)  # health is red until the loss is re-driven
    assert report["status"] == "down" and "bus" in report["problems"]
    assert report["bus"]["status"] == "lost"
    assert await detect_loss(app, [STAGE])  # marker and group gone while rows were published
    report = await recover(app, [STAGE])
    assert report is not None and report.outbox_redriven == 5
    assert await recover(app, [STAGE]) is None  # recovered: nothing to do twice
    assert (await bus_health(app))["status"] == "ok"
    assert await app.outbox.drain() == 5  # the relay sends the kept rows again, in order
    entries = await app.redis.xrange(STAGE.stream)
    assert len(entries) == 5  # the flushed stream holds them again


async def test_redis_behind_the_outbox_redrives_only_the_lost_entries(
    make_app: Callable[..., Any],
) -> None:
    # A failover to a replica that lagged (or an AOF that lost its last second): the marker and
    # the groups are there, but the newest entries the outbox published are not.
    app = await make_app()
    await app.bus.ensure_group(STAGE.stream, STAGE.group_name)
    await _stage_rows(app, range(8))
    assert await app.outbox.drain() == 8
    kept = (await app.redis.xrange(STAGE.stream))[:5]
    await app.redis.delete(STAGE.stream)
    for mid, fields in kept:
        await app.redis.xadd(STAGE.stream, fields, id=mid)
    await app.redis.xgroup_create(STAGE.stream, STAGE.group_name, id="0")
    reasons = await detect_loss(app, [STAGE])
    assert len(reasons) == 1 and "behind what the outbox published" in reasons[0]
    report = await recover(app, [STAGE])
    assert report is not None and report.outbox_redriven == 3
    assert await app.outbox.drain() == 3
    texts = [Job.decode(f).n for _mid, f in await app.redis.xrange(STAGE.stream)]
    assert texts == list(range(8))  # the three lost entries are back, nothing else twice
    assert await detect_loss(app, [STAGE]) == []
