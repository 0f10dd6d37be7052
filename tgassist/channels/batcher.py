"""Group commit for stage handlers: concurrent calls share one write (one transaction, one upsert).

The worker runs up to `concurrency` handlers of a stage at once; each hands its item to `submit`
and waits. Items that arrive within `max_wait` seconds (or `max_items` of them) are written by one
`flush(items)` call; while a write runs, new items queue for the next one (single flight), so
batches grow with the load. If a batch fails, its items are retried one by one, so one bad item fails
only its own message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

T = TypeVar("T")
_PER_OWNER: WeakKeyDictionary[Any, dict[str, Any]] = WeakKeyDictionary()


def shared(owner: Any, name: str, factory: Callable[[], Batcher[Any]]) -> Batcher[Any]:
    """One batcher per owner (the App) and name, built on first use."""
    batchers = _PER_OWNER.setdefault(owner, {})
    if name not in batchers:
        batchers[name] = factory()
    return batchers[name]


class Batcher(Generic[T]):
    """Collects items from concurrent callers and flushes them together."""

    def __init__(
        self,
        flush: Callable[[list[T]], Awaitable[None]],
        max_items: int = 64,
        max_wait: float = 0.003,
    ) -> None:
        self.flush = flush
        self.max_items = max_items
        self.max_wait = max_wait
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writing = False

    async def submit(self, item: T) -> None:
        """Return once `item` is written; raise what writing it raised."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self.max_items and not self._writing:
            self._kick()
        elif self._timer is None:
            self._timer = loop.call_later(self.max_wait, self._kick)
        await future

    def _kick(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if (
            self._writing
        ):  # one write at a time: what arrives meanwhile goes in the next, bigger batch
            return
        batch, self._pending = self._pending[: self.max_items], self._pending[self.max_items :]
        if batch:
            self._writing = True
            task = asyncio.get_running_loop().create_task(self._write(batch))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._writing = False
        if self._pending:
            self._kick()

    async def _write(self, batch: list[tuple[T, asyncio.Future[None]]]) -> None:
        try:
            await self.flush([item for item, _ in batch])
        except Exception as err:
            if len(batch) == 1:
                _set(batch[0][1], err)
                return
            for item, future in batch:  # find the bad one(s): the others still succeed
                try:
                    await self.flush([item])
                except Exception as one:
                    _set(future, one)
                else:
                    _set(future, None)
            return
        except BaseException as err:  # cancelled while writing: the callers' messages are retried
            for _, future in batch:
                _set(future, err)
            raise
        for _, future in batch:
            _set(future, None)


def _set(future: asyncio.Future[None], err: BaseException | None) -> None:
    if future.done():
        return
    if err is None:
        future.set_result(None)
    else:
        future.set_exception(err)
