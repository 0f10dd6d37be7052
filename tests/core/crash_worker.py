"""A worker process for the SIGKILL test: `python -m tests.core.crash_worker` (settings from env)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from tgassist.app import App
from tgassist.core.events import Event
from tgassist.core.models import User
from tgassist.core.product import Stage
from tgassist.core.worker import StageContext, Worker
from tgassist.settings import Settings

STREAM = "test.crash"


class Job(Event):
    TYPE = "test.crash_job"
    n: int


async def handle(ev: Job, ctx: StageContext) -> None:
    """Idempotent effect: one users row per n (unique telegram_id)."""
    await asyncio.sleep(0.02)
    async with ctx.app.db.session() as s:
        if await s.scalar(select(User.id).where(User.telegram_id == ev.n)) is None:
            s.add(User(telegram_id=ev.n))


STAGE = Stage("crash_stage", STREAM, Job, handle, concurrency=4)


async def main() -> None:
    app = await App.start(Settings())
    worker = Worker(app, [STAGE], name="doomed")
    worker.install_signal_handlers()
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
