"""Work a handler starts and does not wait for (a broadcast's progress): tracked, so the bot role
stops it cleanly, and an error in it is logged instead of vanishing with the task."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import structlog

__all__ = ["Background", "cancel_all"]

log = structlog.get_logger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            err = task.exception()
            log.error("background task failed", task=task.get_name(), error=repr(err), exc_info=err)

    async def close(self) -> None:
        await cancel_all(set(self._tasks))


async def cancel_all(tasks: set[asyncio.Task[Any]], every_sec: float = 1.0) -> None:
    """Cancel the tasks and wait for them, cancelling again every `every_sec` while any runs: a
    library that swallows one CancelledError (a driver cleaning up a connection) must not leave
    a loop running on and the role unable to stop."""
    pending = set(tasks)
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=every_sec)
    await asyncio.gather(*tasks, return_exceptions=True)  # their errors are read, not warned of
