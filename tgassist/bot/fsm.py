"""The bot's FSM on the App's Redis: aiogram's RedisStorage, with fewer round trips an update.

aiogram reads a user's state once per update (its FSM middleware hands it to the filters as
`raw_state`), then a handler asks again (`state.get_state()`), `update_data()` is a read and a
write, and `state.clear()` is two DELs. Here the context of one update keeps the state and data
it has read or written, so a second read costs nothing, and `clear()` deletes the state and the
data in one command. Both still live in Redis only: the next update (on this copy or another)
reads them afresh.

The state (and whether any data is stored) is read together with what other middlewares read for
every update (the per-user rate limit's bucket: `Prefetch`), in one pipelined round trip instead
of one each; a user with no data stored then costs no read for `get_data()` and no DEL for
`clear()` (what /start, /menu and every section's home do).
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, cast

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import DEFAULT_DESTINY, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import TelegramObject

__all__ = ["AppRedisStorage", "Prefetch", "UpdateFSMContext", "UpdateFSMMiddleware"]

_UNREAD: Any = object()


class AppRedisStorage(RedisStorage):
    """RedisStorage on the App's shared client. aiogram closes its storage when polling stops,
    which would close the pool every other role of the process (workers, sender) still uses:
    the App closes it instead."""

    async def close(self) -> None:
        return None

    async def clear(self, key: StorageKey) -> None:
        """State and data gone in one command (aiogram's `FSMContext.clear` sends two)."""
        await self.redis.delete(
            self.key_builder.build(key, "state"), self.key_builder.build(key, "data")
        )


class UpdateFSMContext(FSMContext):
    """The FSM context of one update: its state and data are read from Redis at most once."""

    def __init__(self, storage: AppRedisStorage, key: StorageKey) -> None:
        super().__init__(storage=storage, key=key)
        self._state: str | None = _UNREAD
        self._data: dict[str, Any] = _UNREAD

    async def get_state(self) -> str | None:
        if self._state is _UNREAD:
            self._state = await super().get_state()
        return self._state

    async def set_state(self, state: StateType = None) -> None:
        await super().set_state(state)
        self._state = state.state if isinstance(state, State) else state

    async def get_data(self) -> dict[str, Any]:
        if self._data is _UNREAD:
            self._data = await super().get_data()
        return copy.deepcopy(self._data)  # the caller may change what it gets

    async def set_data(self, data: Mapping[str, Any]) -> None:
        await super().set_data(data)
        self._data = copy.deepcopy(dict(data))

    async def update_data(
        self, data: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        merged = await self.get_data()
        merged.update(data or {}, **kwargs)
        await self.set_data(merged)
        return copy.deepcopy(merged)

    async def clear(self) -> None:
        assert isinstance(self.storage, AppRedisStorage)
        if not (self._state is None and self._data == {}):  # known to hold nothing: no DEL
            await self.storage.clear(self.key)
        self._state, self._data = None, {}


class Prefetch(Protocol):
    """A middleware that reads Redis on (nearly) every update queues its command on the FSM's
    pipeline; the returned callback gets the command's result before the handlers run (None:
    nothing queued for this update)."""

    def prefetch(self, pipe: Any, data: dict[str, Any]) -> Callable[[Any], None] | None: ...


class UpdateFSMMiddleware(FSMContextMiddleware):
    """aiogram's FSM middleware, handing each update an `UpdateFSMContext` whose state is read in
    one round trip with the `prefetchers`' commands."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prefetchers: list[Prefetch] = []

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        context = self.resolve_event_context(cast(Bot, data["bot"]), data)
        data["fsm_storage"] = self.storage
        if context is None:
            return await handler(event, data)
        assert isinstance(context, UpdateFSMContext)
        storage = cast(AppRedisStorage, self.storage)
        async with self.events_isolation.lock(key=context.key):
            pipe = storage.redis.pipeline(transaction=False)
            pipe.get(storage.key_builder.build(context.key, "state"))
            pipe.exists(storage.key_builder.build(context.key, "data"))
            settle = [cb for p in self.prefetchers if (cb := p.prefetch(pipe, data))]
            state, has_data, *results = await pipe.execute()
            context._state = state.decode() if isinstance(state, bytes) else state
            if not has_data:  # nothing stored: get_data() needs no read, clear() no DEL
                context._data = {}
            for callback, result in zip(settle, results, strict=True):
                callback(result)
            data.update({"state": context, "raw_state": context._state})
            return await handler(event, data)

    def get_context(
        self,
        bot: Bot,
        chat_id: int,
        user_id: int,
        thread_id: int | None = None,
        business_connection_id: str | None = None,
        destiny: str = DEFAULT_DESTINY,
    ) -> FSMContext:
        assert isinstance(self.storage, AppRedisStorage)
        return UpdateFSMContext(
            storage=self.storage,
            key=StorageKey(
                user_id=user_id,
                chat_id=chat_id,
                bot_id=bot.id,
                thread_id=thread_id,
                business_connection_id=business_connection_id,
                destiny=destiny,
            ),
        )
