"""Long polling shared by several `tgassist bot` copies (TGASSIST_BOT_SHARED_POLLING=true).

Telegram serves getUpdates to one caller at a time (a second one gets 409 Conflict), so a bot in
long-polling mode could not run as more than one process. Here one copy, whichever holds the
`bot:poller` lock, polls Telegram and appends each update to the `bot.updates` stream; every
copy (the poller too) reads that stream in one consumer group and handles each update as its own
task, acknowledging it once handled. A copy reads only as many updates as it has free slots
(TGASSIST_BOT_CONCURRENCY): a burst is spread over the copies and answered in order, rather
than taken whole by whichever copy read first. The FSM is in Redis, so a user's next update
may land on any copy. When the polling copy dies its lock expires and another copy polls; updates a dead copy
had read are taken over after `VISIBILITY_MS`, unless older than `MAX_AGE_SEC` (an answer that
late would confuse more than help: those are logged and dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import TYPE_CHECKING, Any

import structlog
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import Update
from prometheus_client import Counter

from tgassist.bot import keys
from tgassist.core.bus import Delivery
from tgassist.core.locks import OwnedLock
from tgassist.core.redis import process_tag
from tgassist.core.worker_faults import sleep_or_stop

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher

    from tgassist.app import App

__all__ = ["BOT_UPDATES", "serve_shared"]

log = structlog.get_logger(__name__)

BOT_UPDATES = Counter(
    "tgassist_bot_updates_total", "Updates handled from the shared stream", ["consumer"]
)
VISIBILITY_MS = 30_000
MAX_AGE_SEC = 120.0
STREAM_MAXLEN = 100_000


async def serve_shared(bot: Bot, dp: Dispatcher, app: App, stop: asyncio.Event) -> None:
    """Poll (while holding the lock) and handle updates from the stream until `stop` is set."""
    consumer = f"{process_tag()}-{uuid.uuid4().hex[:6]}"
    await app.bus.ensure_group(keys.UPDATES_STREAM, keys.UPDATES_GROUP)
    data: dict[str, Any] = {"dispatcher": dp, "bots": [bot], **dp.workflow_data}
    await dp.emit_startup(bot=bot, **data)
    handler = _Handler(bot, dp, app, consumer)
    parts = [
        asyncio.create_task(_poll(bot, app, stop), name="bot-poller"),
        asyncio.create_task(handler.consume(stop), name="bot-updates"),
        asyncio.create_task(handler.reclaim(stop), name="bot-updates-reclaim"),
    ]
    log.info("bot shared polling started", consumer=consumer)
    try:
        await asyncio.gather(*parts)
    finally:
        for part in parts:
            part.cancel()
        await asyncio.gather(*parts, return_exceptions=True)
        await handler.drain()
        await dp.emit_shutdown(bot=bot, **data)


async def _poll(bot: Bot, app: App, stop: asyncio.Event) -> None:
    """Hold the poller lock (or wait for it) and move Telegram's updates into the stream."""
    while not stop.is_set():
        lock = OwnedLock(app.redis, keys.POLLER_LOCK, ttl=15)
        if not await lock.acquire():
            await sleep_or_stop(stop, 1.0)
            continue
        log.info("this copy polls Telegram")
        try:
            await bot.delete_webhook(drop_pending_updates=False)
            await _poll_locked(bot, app, stop, lock)
        except (TelegramNetworkError, TelegramAPIError, OSError) as err:
            log.warning("getUpdates failed; polling again", error=str(err))
            await sleep_or_stop(stop, 1.0)
        finally:
            await lock.release()


async def _poll_locked(bot: Bot, app: App, stop: asyncio.Event, lock: OwnedLock) -> None:
    offset: int | None = None
    stopped = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set() and not lock.lost.is_set():
            fetch = asyncio.ensure_future(
                bot.get_updates(offset=offset, timeout=app.settings.bot_polling_timeout_sec)
            )
            await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not fetch.done():
                fetch.cancel()
                await asyncio.gather(fetch, return_exceptions=True)
                return
            updates = fetch.result()
            if not updates:
                continue
            # Into the stream before the next getUpdates confirms them to Telegram: a poller
            # killed in between makes the next one fetch them again (at least once).
            pipe = app.redis.pipeline(transaction=False)
            for update in updates:
                body = update.model_dump_json(exclude_unset=True, by_alias=True)
                pipe.xadd(keys.UPDATES_STREAM, {"u": body}, maxlen=STREAM_MAXLEN, approximate=True)
            await pipe.execute()
            offset = updates[-1].update_id + 1
    finally:
        stopped.cancel()


class _Handler:
    """Reads the stream in the copies' group and feeds each update to this copy's dispatcher."""

    def __init__(self, bot: Bot, dp: Dispatcher, app: App, consumer: str) -> None:
        self.bot, self.dp, self.app, self.consumer = bot, dp, app, consumer
        self.concurrency = app.settings.bot_concurrency
        self.slots = asyncio.Semaphore(self.concurrency)
        self.running: set[asyncio.Task[None]] = set()
        self.counter = BOT_UPDATES.labels(consumer=consumer)

    async def consume(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if len(self.running) >= self.concurrency:  # busy: leave the stream to other copies
                await asyncio.wait(set(self.running), return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                batch = await self.app.bus.read(
                    keys.UPDATES_STREAM,
                    keys.UPDATES_GROUP,
                    self.consumer,
                    self.concurrency - len(self.running),
                    1000,
                )
            except Exception as err:  # Redis away: the copy waits for it rather than dying
                log.warning("reading bot updates failed", error=str(err))
                await sleep_or_stop(stop, 1.0)
                continue
            for delivery in batch:
                await self._start(delivery)

    async def reclaim(self, stop: asyncio.Event) -> None:
        """Updates a dead copy had read and not answered: answer them here (if still fresh)."""
        while not await sleep_or_stop(stop, VISIBILITY_MS / 2000):
            try:
                batch = await self.app.bus.claim_stale(
                    keys.UPDATES_STREAM, keys.UPDATES_GROUP, self.consumer, VISIBILITY_MS, 100
                )
            except Exception as err:
                log.warning("reclaiming bot updates failed", error=str(err))
                continue
            for delivery in batch:
                age = time.time() - int(delivery.id.split("-")[0]) / 1000
                if age > MAX_AGE_SEC:
                    log.warning("update too old to answer; dropped", entry=delivery.id, age=age)
                    await self.app.bus.ack(keys.UPDATES_STREAM, keys.UPDATES_GROUP, [delivery.id])
                    continue
                await self._start(delivery)

    async def _start(self, delivery: Delivery) -> None:
        await self.slots.acquire()
        task = asyncio.create_task(self._handle(delivery))
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    async def _handle(self, delivery: Delivery) -> None:
        try:
            try:
                update = Update.model_validate_json(delivery.fields["u"], context={"bot": self.bot})
                # The middlewares answer a handler's error to the user; an update that fails
                # even so is logged, not retried (a second answer would repeat what went out).
                await self.dp.feed_update(self.bot, update)
                self.counter.inc()
            except Exception as err:
                log.exception("shared update failed", entry=delivery.id, error=str(err))
            # Not reached when cancelled mid-answer (a stop): left pending, taken over.
            with contextlib.suppress(Exception):
                await self.app.bus.ack(keys.UPDATES_STREAM, keys.UPDATES_GROUP, [delivery.id])
        finally:
            self.slots.release()

    async def drain(self, grace_sec: float = 10.0) -> None:
        """Let updates in hand finish (a stop mid-answer leaves them pending: reclaimed)."""
        if self.running:
            await asyncio.wait(set(self.running), timeout=grace_sec)
        for task in list(self.running):
            task.cancel()
        await asyncio.gather(*self.running, return_exceptions=True)
