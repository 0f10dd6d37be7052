"""A database outage longer than the whole retry budget: nothing dead-letters, everything is
processed once the database is back, and health shows the pause meanwhile.

PostgreSQL: the App talks to it through a TCP proxy the test cuts (the shared server is never
stopped). SQLite: another process holds the write lock (`BEGIN EXCLUSIVE`) for the outage.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tests.core.crash_worker import STAGE, Job
from tests.core.tcpproxy import TcpProxy, until
from tgassist.app import App
from tgassist.core.health import worker_report
from tgassist.core.models import User
from tgassist.core.worker import Worker
from tgassist.settings import Settings

OUTAGE_SEC = 3.0
MAX_DELIVERIES = 3
RETRY_MAX_SEC = 0.2


async def _users(app: App) -> int:
    async with app.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(User)) or 0)


async def _has_users(app: App, n: int) -> bool:
    return await _users(app) >= n


class _SqliteOutage:
    """Holds SQLite's write lock from another connection (what a stuck writer does)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._release = threading.Event()
        self._held = threading.Event()
        self._thread: threading.Thread | None = None

    def _hold(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        self._held.set()
        self._release.wait()
        conn.execute("ROLLBACK")
        conn.close()

    async def cut(self) -> None:
        self._thread = threading.Thread(target=self._hold, daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._held.wait, 30)

    async def restore(self) -> None:
        self._release.set()
        if self._thread:
            await asyncio.to_thread(self._thread.join, 30)


async def _outage_app(settings: Settings, make_app: Callable[..., Any]) -> tuple[App, Any, Any]:
    overrides: dict[str, Any] = {
        "bus_max_deliveries": MAX_DELIVERIES,
        "bus_retry_max_sec": RETRY_MAX_SEC,
        "bus_breaker_base_sec": 0.2,
        "bus_breaker_max_sec": 0.5,
        "worker_heartbeat_sec": 0.2,
        "bus_visibility_timeout_sec": 2.0,
    }
    url = make_url(settings.database_url or "")
    if url.get_backend_name() == "sqlite":
        outage: Any = _SqliteOutage(str(url.database))
        app = await make_app(database_url=f"{settings.database_url}?timeout=0.3", **overrides)
        return app, outage, None
    proxy = await TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = await make_app(database_url=proxied, **overrides)
    return app, proxy, proxy


async def test_database_outage_dead_letters_nothing_and_resumes(
    settings: Settings, make_app: Callable[..., Any]
) -> None:
    app, outage, proxy = await _outage_app(settings, make_app)
    # The outage must outlast what retries alone would survive.
    assert OUTAGE_SEC > 2 * MAX_DELIVERIES * RETRY_MAX_SEC
    total = 60
    await app.bus.ensure_group(STAGE.stream, STAGE.group_name)
    worker = Worker(app, [STAGE], name="outage-worker")
    runner = asyncio.create_task(worker.run())
    try:
        for i in range(20):
            await app.bus.publish(STAGE.stream, Job(n=i))
        for _ in range(200):
            if await _users(app) >= 5:
                break
            await asyncio.sleep(0.05)
        await outage.cut()
        for i in range(20, total):
            await app.bus.publish(STAGE.stream, Job(n=i))
        started = time.monotonic()
        paused_seen = False
        while time.monotonic() - started < OUTAGE_SEC:
            workers = await worker_report(app)
            paused_seen = paused_seen or any(w.get("paused") for w in workers)
            await asyncio.sleep(0.2)
        assert worker.breakers.db.is_open, "the outage opened the database breaker"
        assert paused_seen, "health (worker heartbeats) showed the pause during the outage"
        assert (await app.bus.stats(STAGE.stream, STAGE.group_name)).dlq == 0
        await outage.restore()
        await until(lambda: _has_users(app, total), 20)
        async with app.db.session() as s:
            ids = sorted((await s.execute(select(User.telegram_id))).scalars())
    finally:
        worker.stop()
        await asyncio.wait_for(runner, 30)
        if proxy is not None:
            await app.db.close()  # its pooled connections go through the proxy
            await proxy.close()
    assert ids == list(range(total))
    stats = await app.bus.stats(STAGE.stream, STAGE.group_name)
    assert stats.dlq == 0 and stats.pending == 0 and stats.lag == 0
    assert worker.stats.dead_lettered == 0 and worker.stats.parked > 0
