"""Worker runtime: processing, retries with backoff, dead letters, malformed payloads, dedupe."""

from __future__ import annotations

import asyncio
from collections import Counter

from tgassist.app import App
from tgassist.core.events import Event
from tgassist.core.product import Stage
from tgassist.core.worker import StageContext, Worker, is_done


class Ping(Event):
    TYPE = "test.ping"
    n: int


def stage_with(handler, **kw) -> Stage:  # type: ignore[no-untyped-def]
    return Stage(
        name=kw.pop("name", "pinger"), stream="test.pings", event=Ping, handler=handler, **kw
    )


async def test_processes_every_event_once_and_acks(app: App) -> None:
    seen: list[int] = []

    async def handle(ev: Ping, ctx: StageContext) -> None:
        seen.append(ev.n)

    stage = stage_with(handle)
    for i in range(25):
        await app.bus.publish(stage.stream, Ping(n=i))
    worker = Worker(app, [stage])
    await worker.run_until_idle()
    assert sorted(seen) == list(range(25))
    stats = await app.bus.stats(stage.stream, stage.group_name)
    assert stats.pending == 0 and stats.lag == 0 and stats.dlq == 0


async def test_failing_handler_is_retried_then_dead_lettered(app: App) -> None:
    attempts: Counter[int] = Counter()

    async def handle(ev: Ping, ctx: StageContext) -> None:
        attempts[ev.n] += 1
        if ev.n == 1:
            raise RuntimeError("boom")
        if ev.n == 2 and ctx.attempt < 3:
            raise RuntimeError("flaky")

    stage = stage_with(handle, max_deliveries=4)
    for i in range(3):
        await app.bus.publish(stage.stream, Ping(n=i))
    worker = Worker(app, [stage])
    await worker.run_until_idle()
    assert attempts[0] == 1
    assert attempts[2] == 3  # succeeded on the third delivery
    assert attempts[1] == 4  # every delivery tried, then dead-lettered
    letters = await app.bus.dlq_list(stage.stream)
    assert len(letters) == 1
    assert "RuntimeError: boom" in letters[0].error
    assert letters[0].deliveries == 4 and letters[0].group == "pinger"
    stats = await app.bus.stats(stage.stream, stage.group_name)
    assert stats.pending == 0 and stats.dlq == 1
    assert worker.stats.dead_lettered == 1


async def test_malformed_payload_is_dead_lettered_and_stage_continues(app: App) -> None:
    seen: list[int] = []

    async def handle(ev: Ping, ctx: StageContext) -> None:
        seen.append(ev.n)

    stage = stage_with(handle)
    await app.redis.xadd(stage.stream, {"type": "test.ping", "data": '{"n": "not a number"}'})
    await app.redis.xadd(stage.stream, {"garbage": "1"})
    await app.bus.publish(stage.stream, Ping(n=7))
    await Worker(app, [stage]).run_until_idle()
    assert seen == [7]
    letters = await app.bus.dlq_list(stage.stream)
    assert len(letters) == 2
    assert all(letter.error.startswith("malformed event") for letter in letters)
    assert "n" in letters[0].error


async def test_duplicate_event_ids_are_skipped(app: App) -> None:
    seen: list[int] = []

    async def handle(ev: Ping, ctx: StageContext) -> None:
        seen.append(ev.n)

    stage = stage_with(handle)
    ev = Ping(n=1)
    await app.bus.publish(stage.stream, ev)
    await app.bus.publish(stage.stream, ev)  # e.g. the outbox re-published after a crash
    worker = Worker(app, [stage])
    await worker.run_until_idle()
    assert seen == [1]
    assert worker.stats.skipped == 1
    assert await is_done(app.redis, "pinger", ev.event_id, app.settings.idempotency_ttl_sec)


async def test_dlq_replay_reprocesses_after_fix(app: App) -> None:
    broken = True
    seen: list[int] = []

    async def handle(ev: Ping, ctx: StageContext) -> None:
        if broken:
            raise ValueError("downstream down")
        seen.append(ev.n)

    stage = stage_with(handle, max_deliveries=1)
    await app.bus.publish(stage.stream, Ping(n=5))
    worker = Worker(app, [stage])
    await worker.run_until_idle()
    assert len(await app.bus.dlq_list(stage.stream)) == 1
    broken = False
    assert await app.bus.dlq_replay(stage.stream) == 1
    await worker.run_until_idle()
    assert seen == [5]
    assert await app.bus.dlq_list(stage.stream) == []


async def test_graceful_stop_finishes_in_flight_batch(app: App) -> None:
    started = asyncio.Event()
    finished: list[int] = []

    async def handle(ev: Ping, ctx: StageContext) -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.append(ev.n)

    stage = stage_with(handle, concurrency=10)
    for i in range(5):
        await app.bus.publish(stage.stream, Ping(n=i))
    worker = Worker(app, [stage])
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), 5)
    worker.stop()
    await asyncio.wait_for(task, 10)
    assert sorted(finished) == list(range(5))
    stats = await app.bus.stats(stage.stream, stage.group_name)
    assert stats.pending == 0
    assert not await app.redis.exists("worker:" + worker.name)


async def test_graceful_stop_finishes_a_retry_in_flight(app: App) -> None:
    second_try = asyncio.Event()
    finished: list[int] = []

    async def handle(ev: Ping, ctx: StageContext) -> None:
        if ctx.attempt == 1:
            raise RuntimeError("first try fails")
        second_try.set()
        await asyncio.sleep(0.3)
        finished.append(ev.n)

    stage = stage_with(handle)
    await app.bus.publish(stage.stream, Ping(n=1))
    worker = Worker(app, [stage])
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(second_try.wait(), 5)
    worker.stop()
    await asyncio.wait_for(task, 10)
    assert finished == [1]
    assert (await app.bus.stats(stage.stream, stage.group_name)).pending == 0


async def test_a_failing_batch_does_not_stop_the_stage(settings_factory) -> None:  # type: ignore[no-untyped-def]
    # Redis refuses the dead-letter write (the DLQ key holds a string): that batch stays pending,
    # but the stage keeps consuming and the entry is dead-lettered once Redis accepts it.
    application = await App.start(settings_factory(bus_visibility_timeout_sec=0.5))
    await application.redis.flushdb()
    seen: list[int] = []

    async def handle(ev: Ping, ctx: StageContext) -> None:
        seen.append(ev.n)

    stage = stage_with(handle)
    worker = Worker(application, [stage])
    try:
        await application.redis.set(stage.stream + ":dlq", "not a stream")
        await application.redis.xadd(stage.stream, {"garbage": "1"})
        task = asyncio.create_task(worker.run())
        await asyncio.sleep(0.5)
        await application.bus.publish(stage.stream, Ping(n=2))
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.05)
        assert seen == [2], "the stage stopped consuming after one failed batch"
        pending = await application.redis.xpending(stage.stream, stage.group_name)
        assert pending["pending"] == 1, "an entry that could not be dead-lettered must stay pending"
        await application.redis.delete(stage.stream + ":dlq")
        for _ in range(100):
            if await application.redis.exists(stage.stream + ":dlq"):
                break
            await asyncio.sleep(0.05)
        assert len(await application.bus.dlq_list(stage.stream)) == 1
        worker.stop()
        await asyncio.wait_for(task, 10)
    finally:
        worker.stop()
        await application.redis.flushdb()
        await application.close()
