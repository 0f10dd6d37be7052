"""Parsing off the event loop, in a child process with a time and a memory budget.

A hostile or buggy feed (an `RRULE:FREQ=SECONDLY`, a rule that never matches, a huge JSON-LD page)
must not freeze the process that also answers `/health` and the bot. So a parser runs in a child
process forked from a clean `forkserver` (not from this multi-threaded process): its address space
is capped with `RLIMIT_AS` (current size + the budget), and it is killed when it runs past its time.
A thread could not be stopped, nor its memory capped. Cancelling the caller (SIGTERM) kills it too.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from tgassist.events.exceptions import ParseBudgetError

T = TypeVar("T")

_PRELOAD = ["tgassist.events.sources.ics", "tgassist.events.sources.jsonld"]
_ctx = multiprocessing.get_context("forkserver")
_preloaded = False


def _preload() -> list[str]:
    """Modules the forkserver imports once, so that a child starts in tens of ms.

    Each child re-runs the main *script* (not a `-m` module) before it starts; the `tgassist`
    console script imports the CLI, so it is preloaded too. ("__main__" in the preload list does
    not help in 3.11: the forkserver is never given the main path.)
    """
    main = sys.modules.get("__main__")
    script = getattr(main, "__spec__", None) is None and getattr(main, "__file__", None)
    return (["tgassist.cli"] if script else []) + _PRELOAD


def _vm_bytes() -> int:
    """The current virtual size of this process (Linux), 0 when unknown."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...], memory_mb: int) -> None:
    try:
        if memory_mb:
            import resource

            limit = _vm_bytes() + memory_mb * 2**20
            resource.setrlimit(
                resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1])
            )
        conn.send(("ok", fn(*args)))
    except MemoryError:
        conn.send(("memory", ""))
    except BaseException as err:  # the parent turns it into a SourceError with this text
        conn.send(("error", f"{type(err).__name__}: {str(err)[:300]}"))
    finally:
        conn.close()


def _ready() -> bool:
    return True


async def warm_up() -> None:
    """Start the forkserver now (a second or more: it imports the parsers), not in the first ingest."""
    await run_bounded(_ready, timeout_sec=120, memory_mb=0, what="parser warm-up")


async def run_bounded(
    fn: Callable[..., T], *args: Any, timeout_sec: float, memory_mb: int, what: str
) -> T:
    """`fn(*args)` in a child process; ParseBudgetError when it runs out of time or memory.

    `fn` must be a module-level function and its arguments and result picklable. `what` names
    the input (a feed, a page) in the error.
    """
    global _preloaded
    if not _preloaded:
        _ctx.set_forkserver_preload(_preload())
        _preloaded = True
    receiver, sender = _ctx.Pipe(duplex=False)
    proc = _ctx.Process(target=_child, args=(sender, fn, args, memory_mb), daemon=True)
    starting = asyncio.ensure_future(asyncio.to_thread(proc.start))
    try:
        try:
            await asyncio.shield(starting)
        except asyncio.CancelledError:
            await asyncio.wait([starting])  # the thread starts it anyway: wait, then kill it
            raise
        finally:
            sender.close()
        if not await asyncio.to_thread(receiver.poll, timeout_sec):
            raise ParseBudgetError(
                "time", what, "events.source.parse_timeout", seconds=f"{timeout_sec:g}"
            )
        try:
            status, payload = await asyncio.to_thread(receiver.recv)
        except EOFError:  # died without a word: SIGKILL (the kernel's OOM killer) or a crash
            await asyncio.to_thread(proc.join, 5)
            killed = proc.exitcode == -signal.SIGKILL
            status, payload = ("memory", "") if killed else ("error", f"exit code {proc.exitcode}")
    finally:
        if proc.is_alive():
            proc.kill()
        if proc.pid is not None:
            await asyncio.to_thread(proc.join, 5)
        receiver.close()
    if status == "memory":
        raise ParseBudgetError("memory", what, "events.source.parse_memory", megabytes=memory_mb)
    if status == "error":
        raise ParseBudgetError("error", what, "events.source.parse_failed", error=payload)

    return payload  # type: ignore[no-any-return]
