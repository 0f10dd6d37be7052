"""A worker process for the kill tests: `python -m tests.core.crash_worker` (settings from env).

`TGASSIST_TEST_HANG=1` makes every handler hang (a SIGTERM must still end the process in time).
"""

from __future__ import annotations

import asyncio
import os

from sqlalchemy import select

from tgassist.app import App
from tgassist.core.events import Event
from tgassist.core.locks import OwnedLock
from tgassist.core.models import User
from tgassist.core.product import Stage
from tgassist.core.worker import StageContext, Worker
from tgassist.settings import Settings

STREAM = "test.crash"
LOCKED_STREAM = "test.crash.locked"


class Job(Event):
    TYPE = "test.crash_job"
    n: int


async def handle(ev: Job, ctx: StageContext) -> None:
    """Idempotent effect: one users row per n (unique telegram_id)."""
    if os.environ.get("TGASSIST_TEST_HANG") == "1":
        await asyncio.sleep(3600)
    await asyncio.sleep(0.02)
    async with ctx.app.db.session() as s:
        if await s.scalar(select(User.id).where(User.telegram_id == ev.n)) is None:
            s.add(User(telegram_id=ev.n))


async def handle_locked(ev: Job, ctx: StageContext) -> None:
    """Like `handle`, under a per-item lock (what vision and album assembly do)."""
    async with OwnedLock(
        ctx.app.redis,
        f"test:lock:{ev.n % 7}",
        ttl=ctx.app.settings.lock_ttl_sec,
        blocking_timeout=300,
    ):
        await asyncio.sleep(0.05)
        async with ctx.app.db.session() as s:
            if await s.scalar(select(User.id).where(User.telegram_id == ev.n)) is None:
                s.add(User(telegram_id=ev.n))


STAGE = Stage("crash_stage", STREAM, Job, handle, concurrency=4)
LOCKED_STAGE = Stage("crash_locked", LOCKED_STREAM, Job, handle_locked, concurrency=4)


async def main() -> None:
    app = await App.start(Settings())
    locked = os.environ.get("TGASSIST_TEST_LOCKED") == "1"
    stages = [STAGE, LOCKED_STAGE] if locked else [STAGE]
    worker = Worker(app, stages, name=f"doomed-{os.getpid()}")
    worker.install_signal_handlers()
    try:
        await worker.run()
    finally:
        await app.close()


if __name__ == "__main__":
    asyncio.run(main())
