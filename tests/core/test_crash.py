"""A worker killed with SIGKILL mid-batch: after a takeover every message is processed once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import func, select

from tests.core.crash_worker import STAGE, Job
from tgassist.app import App
from tgassist.core.models import User
from tgassist.core.worker import Worker
from tgassist.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


async def count_users(app: App) -> int:
    async with app.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(User)) or 0)


async def test_sigkill_mid_batch_loses_and_duplicates_nothing(app: App, settings: Settings) -> None:
    total = 300
    await app.bus.ensure_group(STAGE.stream, STAGE.group_name)
    for i in range(total):
        await app.bus.publish(STAGE.stream, Job(n=i))
    env = {
        **os.environ,
        "TGASSIST_DATABASE_URL": settings.database_url or "",
        "TGASSIST_REDIS_URL": settings.redis_url or "",
        "TGASSIST_DATA_DIR": str(settings.data_dir),
        "TGASSIST_BUS_BATCH_SIZE": "50",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.core.crash_worker",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    for _ in range(600):
        if await count_users(app) >= 30:
            break
        await asyncio.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    done_before = await count_users(app)
    assert 0 < done_before < total, "the kill must land mid-stream"
    stats = await app.bus.stats(STAGE.stream, STAGE.group_name)
    assert stats.pending > 0, "the killed worker left entries pending"

    survivor = Worker(app, [STAGE], name="survivor")
    assert await survivor.reclaim_now(min_idle_ms=0) > 0  # takes over the dead consumer's entries
    await survivor.run_until_idle()

    async with app.db.session() as s:
        ids = sorted((await s.execute(select(User.telegram_id))).scalars())
    assert ids == list(range(total))
    stats = await app.bus.stats(STAGE.stream, STAGE.group_name)
    assert stats.pending == 0 and stats.lag == 0 and stats.dlq == 0
