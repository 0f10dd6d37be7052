"""Stages on single-process embedded stores run in one worker at a time; the others skip them
and take over once the holder stops."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tests.core.tcpproxy import until
from tgassist.app import App
from tgassist.channels.stages import STAGES
from tgassist.core.events import Event
from tgassist.core.product import Stage
from tgassist.core.worker import StageContext, Worker
from tgassist.settings import Settings


class Ping(Event):
    TYPE = "test.ping"
    n: int


SEEN: list[tuple[int, int]] = []  # (n, id of the App that handled it)


async def _record(ev: Ping, ctx: StageContext) -> None:
    SEEN.append((ev.n, id(ctx.app)))


EXCLUSIVE = Stage("embedded_index", "test.excl", Ping, _record, exclusive=lambda s: "test-store")


async def _seen(n: int) -> bool:
    return len(SEEN) >= n


async def test_one_worker_runs_exclusive_stages_and_another_takes_over(
    make_app: Callable[..., Awaitable[App]],
) -> None:
    SEEN.clear()
    first, second = await make_app(lock_ttl_sec=1.5), await make_app(lock_ttl_sec=1.5)
    a, b = Worker(first, [EXCLUSIVE], name="a"), Worker(second, [EXCLUSIVE], name="b")
    run_a = asyncio.create_task(a.run())
    assert await until(lambda: _holds(a), 5)
    run_b = asyncio.create_task(b.run())
    try:
        for i in range(20):
            await first.bus.publish(EXCLUSIVE.stream, Ping(n=i))
        assert await until(lambda: _seen(20), 10)
        assert {app_id for _, app_id in SEEN} == {id(first)}  # b skipped the stage
        assert b.exclusive_stages == []
        a.stop()
        await asyncio.wait_for(run_a, 30)
        assert await until(lambda: _holds(b), 5), "b takes the stage over once a is gone"
        for i in range(20, 30):
            await first.bus.publish(EXCLUSIVE.stream, Ping(n=i))
        assert await until(lambda: _seen(30), 10)
        assert {app_id for n, app_id in SEEN if n >= 20} == {id(second)}
    finally:
        a.stop()
        b.stop()
        await asyncio.wait_for(asyncio.gather(run_a, run_b), 30)
    assert sorted(n for n, _ in SEEN) == list(range(30))


async def _holds(worker: Worker) -> bool:
    return worker.exclusive_stages == ["embedded_index"]


def test_index_and_album_stages_are_single_process_only_with_embedded_stores(
    settings: Settings,
) -> None:
    def keyed(s: Settings) -> set[str]:
        return {st.name for st in STAGES if st.exclusive and st.exclusive(s)}

    albums = {"album_assembler", "album_assembler_vision", "album_overdue"}
    index = {"indexing", "indexing_enriched"}
    assert keyed(settings) == index | albums  # the embedded defaults
    servers = settings.model_copy(
        update={"qdrant_url": "http://qdrant:6333", "neo4j_url": "bolt://neo4j:7687"}
    )
    assert keyed(servers) == set()
    assert keyed(settings.model_copy(update={"neo4j_url": "bolt://neo4j:7687"})) == index
