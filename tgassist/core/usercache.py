"""An in-process cache of users by Telegram id, for the bot's read of the user on every update.

Every write through `core.users` is announced after its commit (`Database.announce`, published
on a Redis channel by the App); every process's cache drops that user on receipt, so a block,
a language or a limit applies at once in every bot copy. The cache answers only while its
subscription is live (it is emptied on every (re)subscribe, so nothing missed while
disconnected survives), and an entry expires after `ttl` seconds in any case.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

import structlog

from tgassist.core import keys

if TYPE_CHECKING:
    from tgassist.core.redis import Redis
    from tgassist.core.users import UserView

__all__ = ["USERS_TOPIC", "UserCache"]

log = structlog.get_logger(__name__)
USERS_TOPIC = "users"


class UserCache:
    """`get(telegram_id)` → a cached UserView or None; `put(view, generation)` after a read that
    started at `generation` (a change announced meanwhile makes the read stale: not stored)."""

    def __init__(self, redis: Redis, ttl: float, max_size: int = 50_000) -> None:
        self.redis = redis
        self.ttl = ttl
        self.max_size = max_size
        self.generation = 0  # bumped by every drop: a read that straddles one is not stored
        self._entries: dict[int, tuple[float, UserView]] = {}
        self._live = False
        self._task: asyncio.Task[None] | None = None

    def get(self, telegram_id: int) -> UserView | None:
        if self.ttl <= 0:
            return None
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="user-cache")
        if not self._live:
            return None
        hit = self._entries.get(telegram_id)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, user: UserView, generation: int) -> None:
        if not self._live or generation != self.generation:
            return
        if len(self._entries) >= self.max_size:
            self._entries.pop(next(iter(self._entries)))  # the oldest insertion
        self._entries[user.telegram_id] = (time.monotonic() + self.ttl, user)

    def drop(self, telegram_id: int) -> None:
        self.generation += 1
        self._entries.pop(telegram_id, None)

    def _reset(self, live: bool) -> None:
        self.generation += 1
        self._entries.clear()
        self._live = live

    async def _listen(self) -> None:
        channel = keys.changes_channel(USERS_TOPIC)
        delay = 0.5
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(channel)
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        self._reset(live=True)
                        delay = 0.5
                    elif message["type"] == "message":
                        with contextlib.suppress(ValueError):
                            self.drop(int(message["data"]))
            except Exception as err:
                log.warning(
                    "user cache unsubscribed; reading users from the database", error=str(err)
                )
            finally:
                self._reset(live=False)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
