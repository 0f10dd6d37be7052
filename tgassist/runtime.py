"""Process roles: all-in-one `run`, or `worker`, `scheduler`, `api` alone (and in many copies)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import structlog
import uvicorn

from tgassist.app import App
from tgassist.core.errors import ConfigError, LocalizedError
from tgassist.core.locks import OwnedLock
from tgassist.core.product import StartupHook
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
    if settings.metrics_port and not roles.api:
        serve_metrics(settings)
    # The bot's and the API's modules take seconds to import (aiogram, FastAPI; 5-10 s on a busy
    # machine). Imported here, before any part runs, they cannot stall the event loop while a
    # part awaits Redis: a reply held up past the socket timeout fails the read (redis-py's
    # default 5 s then; core.redis.SOCKET_TIMEOUT_SEC now), and a failed part stops the whole
    # process (`tgassist run` exited 1 on start-up that way).
    run_bot = _import_bot() if roles.bot and settings.bot_token else None
    create_api = _import_api() if roles.api else None
    app = await App.start(settings, migrate=roles.api or roles.worker or roles.scheduler)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks: list[asyncio.Task[Any]] = []
    worker: Worker | None = None
    scheduler: Scheduler | None = None
    server: _Server | None = None
    failed: str | None = None
    try:
        if roles.worker:
            worker = Worker(app, select_stages(roles.stages or settings.worker_stages))
            tasks.append(asyncio.create_task(worker.run(), name="worker"))
            tasks.append(
                asyncio.create_task(app.outbox.run(stop, settings.outbox_poll_sec), name="outbox")
            )
        if roles.scheduler and settings.scheduler_enabled:
            scheduler = Scheduler(app, all_jobs())
            await scheduler.start()
            tasks.append(asyncio.create_task(scheduler.heartbeat(stop), name="scheduler-heartbeat"))
            for product in PRODUCTS:
                for hook in product.on_start:
                    tasks.append(
                        asyncio.create_task(run_startup_hook(app, hook), name=hook.__name__)
                    )
        if create_api is not None:
            config = uvicorn.Config(
                create_api(app),
                host=settings.api_host,
                port=settings.api_port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
            server = _Server(config)
            tasks.append(asyncio.create_task(server.serve(), name="api"))
            log.info("api listening", url=f"http://{settings.api_host}:{settings.api_port}")
        if run_bot is not None:
            tasks.append(asyncio.create_task(run_bot(app, stop), name="bot"))
        elif roles.bot:
            log.info("bot not started: TGASSIST_BOT_TOKEN is not set")
        failed = await _watch(stop, tasks)
        log.info("stopping: finishing in-flight work")
    finally:
        stop.set()
        if worker:
            worker.stop()
        if server:
            server.should_exit = True
        if scheduler:
            tasks.append(asyncio.create_task(scheduler.stop(), name="scheduler-stop"))
        await asyncio.gather(*tasks, return_exceptions=True)
        await app.close()
        log.info("stopped")
    if failed:
        raise LocalizedError("core.runtime.part_failed", part=failed)


def _import_bot() -> Callable[[App, asyncio.Event], Coroutine[Any, Any, None]]:
    from tgassist.bot.app import run_bot

    return run_bot


def _import_api() -> Callable[[App], Any]:
    from tgassist.api.app import create_api

    return create_api


async def _watch(stop: asyncio.Event, tasks: list[asyncio.Task[Any]]) -> str | None:
    """Wait for a stop signal; a part that dies on its own (a worker, the API…) stops the process
    too, rather than leaving it running and reporting healthy without it. Returns its name."""
    stopped = asyncio.ensure_future(stop.wait())
    watched: set[asyncio.Future[Any]] = set(tasks)
    try:
        while watched:
            done, watched = await asyncio.wait(
                {stopped, *watched}, return_when=asyncio.FIRST_COMPLETED
            )
            watched.discard(stopped)
            if stopped in done:
                return None
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    err = task.exception()
                    name = task.get_name() if isinstance(task, asyncio.Task) else "a part"
                    log.error(
                        "process part failed", part=name, error=f"{type(err).__name__}: {err}"
                    )
                    return name
        await stopped  # nothing long-running left: wait for the signal
        return None
    finally:
        stopped.cancel()


def serve_metrics(settings: Settings) -> None:
    """Expose this process's counters (worker/scheduler alone have no API to scrape)."""
    from prometheus_client import start_http_server

    try:
        start_http_server(settings.metrics_port or 0, addr=settings.api_host)
    except OSError as err:
        raise ConfigError(
            "core.config.metrics_port_busy", port=settings.metrics_port, error=err.strerror
        ) from err

    log.info("metrics listening", url=f"http://{settings.api_host}:{settings.metrics_port}/metrics")


async def run_startup_hook(app: App, hook: StartupHook) -> bool:
    """Run a product's start-up hook unless another scheduler process is running it right now.

    Schedulers started together (scaled out) run each hook once between them; a later restart
    runs it again. Failures are logged, never fatal.
    """
    name = hook.__name__
    lock = OwnedLock(app.redis, f"startup:{hook.__module__}.{name}", ttl=app.settings.lock_ttl_sec)
    if not await lock.acquire():
        log.info("start-up hook already running in another scheduler; skipped", hook=name)
        return False
    try:
        await hook(app)
    except Exception as err:
        log.exception("start-up hook failed", hook=name, error=str(err))
    finally:
        await lock.release()
    return True
