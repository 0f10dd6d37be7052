"""Killed and stopped workers: SIGKILL leaves locks and pending entries behind, SIGTERM must end
the process in time even with a handler that never returns."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.core.crash_worker import LOCKED_STAGE, STAGE, Job
from tests.core.tcpproxy import until
from tests.core.test_locks import dead_owner
from tgassist.app import App
from tgassist.core.locks import OwnedLock
from tgassist.core.models import User
from tgassist.core.worker import Worker
from tgassist.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_SEC = 5.0
LOCK_TTL_SEC = 60.0  # far longer than the test: only a takeover explains a freed lock


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TGASSIST_DATABASE_URL": settings.database_url or "",
        "TGASSIST_REDIS_URL": settings.redis_url or "",
        "TGASSIST_DATA_DIR": str(settings.data_dir),
        "TGASSIST_BUS_BATCH_SIZE": "20",
        "TGASSIST_BUS_BLOCK_MS": "100",
        "TGASSIST_BUS_VISIBILITY_TIMEOUT_SEC": str(VISIBILITY_SEC),
        "TGASSIST_LOCK_TTL_SEC": str(LOCK_TTL_SEC),
        **extra,
    }


async def _users(app: App, low: int = 0, high: int = 10**9) -> int:
    async with app.db.session() as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(User)
                .where(User.telegram_id >= low, User.telegram_id < high)
            )
            or 0
        )


@pytest.mark.slow  # waits out real timeouts (visibility, watchdog grace)
async def test_sigkill_worker_drained_within_two_visibility_timeouts(
    make_app: Callable[..., Awaitable[App]], settings: Settings
) -> None:
    app = await make_app(bus_visibility_timeout_sec=VISIBILITY_SEC, lock_ttl_sec=LOCK_TTL_SEC)
    total = 60
    for st in (STAGE, LOCKED_STAGE):
        await app.bus.ensure_group(st.stream, st.group_name)
    for i in range(total):
        await app.bus.publish(STAGE.stream, Job(n=i))
        await app.bus.publish(LOCKED_STAGE.stream, Job(n=1000 + i))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.core.crash_worker",
        cwd=ROOT,
        env=_env(settings, TGASSIST_TEST_LOCKED="1"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await until(lambda: _has(app, 20), 60), "the worker never got going"
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    killed_at = time.monotonic()
    assert await _users(app) < 2 * total, "the kill must land mid-stream"
    # A lock the killed process held (its TTL far from over), as vision/album locks were.
    await app.redis.set("test:lock:3", dead_owner(), px=int(LOCK_TTL_SEC * 1000))
    # A live owner blocks another lock for a while: that stage's lanes wait on it, and the
    # other stage's takeover must not wait with them.
    blocker = OwnedLock(app.redis, "test:lock:0", ttl=LOCK_TTL_SEC)
    assert await blocker.acquire()
    survivor = Worker(app, [STAGE, LOCKED_STAGE], name="survivor")
    runner = asyncio.create_task(survivor.run())
    try:
        assert await until(lambda: _drained(app, STAGE, 0, total), 4 * VISIBILITY_SEC)
        plain_sec = time.monotonic() - killed_at
        assert plain_sec <= 2 * VISIBILITY_SEC, f"plain stage drained after {plain_sec:.1f}s"
        await blocker.release()
        released_at = time.monotonic()
        assert await until(lambda: _drained(app, LOCKED_STAGE, 1000, 1000 + total), 30)
        locked_sec = time.monotonic() - released_at
        assert locked_sec <= 2 * VISIBILITY_SEC, f"locked stage took {locked_sec:.1f}s more"
    finally:
        survivor.stop()
        await asyncio.wait_for(runner, 30)
    assert await _users(app) == 2 * total
    for st in (STAGE, LOCKED_STAGE):
        stats = await app.bus.stats(st.stream, st.group_name)
        assert stats.pending == 0 and stats.lag == 0 and stats.dlq == 0


async def _has(app: App, n: int) -> bool:
    return await _users(app) >= n


async def _drained(app: App, stage: object, low: int, high: int) -> bool:
    st = await app.bus.stats(stage.stream, stage.group_name)  # type: ignore[attr-defined]
    return st.pending == 0 and st.lag == 0 and await _users(app, low, high) == high - low


async def test_sigterm_exits_in_time_with_a_handler_that_never_returns(
    app: App, settings: Settings
) -> None:
    await app.bus.ensure_group(STAGE.stream, STAGE.group_name)
    for i in range(10):
        await app.bus.publish(STAGE.stream, Job(n=i))
    assert Settings().worker_shutdown_grace_sec < 30  # the default fits the 30 s promise
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.core.crash_worker",
        cwd=ROOT,
        env=_env(settings, TGASSIST_TEST_HANG="1", TGASSIST_WORKER_SHUTDOWN_GRACE_SEC="2"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await until(lambda: _pending(app, 1), 60), "the worker never took the entries"
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    rc = await asyncio.wait_for(proc.wait(), 30)
    took = time.monotonic() - started
    assert rc == 0 and took < 10, f"exit {rc} after {took:.1f}s"
    stats = await app.bus.stats(STAGE.stream, STAGE.group_name)
    assert stats.pending == 10 and stats.dlq == 0  # unfinished work stays pending, none lost


async def _pending(app: App, n: int) -> bool:
    return (await app.bus.stats(STAGE.stream, STAGE.group_name)).pending >= n
