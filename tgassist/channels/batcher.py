"""Group commit for stage handlers: concurrent calls share one read, one write, one embedding call.

The worker runs up to `concurrency` handlers of a stage at once; each hands its item to `submit`
and waits. Items that arrive within `max_wait` seconds (or `max_items` of them) go to one
`flush(items)` call, which returns one result per item (or None). While a flush runs, new items
queue for the next one (single flight), so batches grow with the load. If a batch fails, its
items are retried one by one, so one bad item fails only its own message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

T = TypeVar("T")
R = TypeVar("R")
_PER_OWNER: WeakKeyDictionary[Any, dict[str, Any]] = WeakKeyDictionary()


def shared(owner: Any, name: str, factory: Callable[[], Batcher[Any, Any]]) -> Batcher[Any, Any]:
    """One batcher per owner (the App) and name, built on first use."""
    batchers = _PER_OWNER.setdefault(owner, {})
    if name not in batchers:
        batchers[name] = factory()
    return batchers[name]


class Batcher(Generic[T, R]):
    """Collects items from concurrent callers and flushes them together."""

    def __init__(
        self,
        flush: Callable[[list[T]], Awaitable[Sequence[R] | None]],
        max_items: int = 64,
        max_wait: float = 0.003,
    ) -> None:
        self.flush = flush
        self.max_items = max_items
        self.max_wait = max_wait
        self._pending: list[tuple[T, asyncio.Future[R | None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writing = False

    async def submit(self, item: T) -> R | None:
        """Wait until `item` is flushed; its result, or what flushing it raised."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R | None] = loop.create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self.max_items and not self._writing:
            self._kick()
        elif self._timer is None:
            self._timer = loop.call_later(self.max_wait, self._kick)
        return await future

    def _kick(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if (
            self._writing
        ):  # one flush at a time: what arrives meanwhile goes in the next, bigger one
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

    async def _run(self, items: list[T]) -> list[R | None]:
        results = await self.flush(items)
        return list(results) if results is not None else [None] * len(items)

    async def _write(self, batch: list[tuple[T, asyncio.Future[R | None]]]) -> None:
        try:
            results = await self._run([item for item, _ in batch])
        except Exception as err:
            if len(batch) == 1:
                _set(batch[0][1], None, err)
                return
            for item, future in batch:  # find the bad one(s): the others still succeed
                try:
                    one = await self._run([item])
                except Exception as failed:
                    _set(future, None, failed)
                else:
                    _set(future, one[0], None)
            return
        except BaseException as err:  # cancelled while flushing: the callers' messages are retried
            for _, future in batch:
                _set(future, None, err)
            raise
        for (_, future), result in zip(batch, results, strict=True):
            _set(future, result, None)


def _set(future: asyncio.Future[Any], result: Any, err: BaseException | None) -> None:
    if future.done():
        return
    if err is None:
        future.set_result(result)
    else:
        future.set_exception(err)
