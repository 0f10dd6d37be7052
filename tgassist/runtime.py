"""Process roles: all-in-one `run`, or `worker`, `scheduler`, `api` alone (and in many copies)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass

import structlog
import uvicorn

from tgassist.app import App
from tgassist.core.scheduler import Scheduler
from tgassist.core.worker import Worker
from tgassist.products import PRODUCTS, all_jobs, select_stages
from tgassist.settings import Settings

log = structlog.get_logger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the runtime owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass(frozen=True)
class Roles:
    api: bool = False
    worker: bool = False
    scheduler: bool = False
    bot: bool = False
    stages: str | None = None


async def serve(settings: Settings, roles: Roles) -> None:
    """Start the chosen roles on one App; return after SIGINT/SIGTERM once everything stopped."""
    app = await App.start(settings, migrate=roles.api or roles.worker or roles.scheduler)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks: list[asyncio.Task[None]] = []
    worker: Worker | None = None
    scheduler: Scheduler | None = None
    server: _Server | None = None
    try:
        if roles.worker:
            worker = Worker(app, select_stages(roles.stages or settings.worker_stages))
            tasks.append(asyncio.create_task(worker.run(), name="worker"))
            tasks.append(asyncio.create_task(app.outbox.run(stop, settings.outbox_poll_sec), name="outbox"))
        if roles.scheduler and settings.scheduler_enabled:
            scheduler = Scheduler(app, all_jobs())
            await scheduler.start()
            tasks.append(asyncio.create_task(scheduler.heartbeat(stop), name="scheduler-heartbeat"))
            for product in PRODUCTS:
                for hook in product.on_start:
                    tasks.append(asyncio.create_task(_guard(hook(app), hook.__name__), name=hook.__name__))
        if roles.api:
            from tgassist.api.app import create_api

            config = uvicorn.Config(
                create_api(app), host=settings.api_host, port=settings.api_port,
                log_config=None, access_log=False, lifespan="off",
            )
            server = _Server(config)
            tasks.append(asyncio.create_task(server.serve(), name="api"))
            log.info("api listening", url=f"http://{settings.api_host}:{settings.api_port}")
        if roles.bot and settings.bot_token:
            from tgassist.bot.app import run_bot

            tasks.append(asyncio.create_task(run_bot(app, stop), name="bot"))
        elif roles.bot:
            log.info("bot not started: TGASSIST_BOT_TOKEN is not set")
        await stop.wait()
        log.info("stopping: finishing in-flight work")
    finally:
        stop.set()
        if worker:
            worker.stop()
        if server:
            server.should_exit = True
        if scheduler:
            scheduler.shutdown()
        await asyncio.gather(*tasks, return_exceptions=True)
        await app.close()
        log.info("stopped")


async def _guard(coro: object, name: str) -> None:
    try:
        await coro  # type: ignore[misc]
    except Exception as err:
        log.exception("start-up hook failed", hook=name, error=str(err))
