"""Owned Redis locks: the value names the owner process, a short TTL is renewed while it lives.

A lock whose owner was killed is taken over at once when the owner ran on this host (its pid is
gone, or belongs to a newer process), otherwise when the TTL — a few seconds, not minutes —
runs out without renewal. Release and renewal only ever touch the caller's own lock.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from types import TracebackType
from typing import Any

import structlog

log = structlog.get_logger(__name__)

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_TAKEOVER = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1
end
return 0
"""


def _start_time(pid: int) -> str | None:
    """The kernel's start time of `pid` (tells a reused pid from the original), if readable."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


_HOST = socket.gethostname()
_BOOT = _start_time(os.getpid()) or "0"


def owner_id() -> str:
    """`host:pid:start-time:nonce` of this process (the nonce tells two holders apart)."""
    return f"{_HOST}:{os.getpid()}:{_BOOT}:{uuid.uuid4().hex[:8]}"


def held_here(owner: str | None) -> bool:
    """Whether an owner id names this very process."""
    parts = (owner or "").split(":")
    return (
        len(parts) == 4 and parts[0] == _HOST and parts[1] == str(os.getpid()) and parts[2] == _BOOT
    )


def owner_alive(owner: str) -> bool | None:
    """True/False for an owner on this host; None when it runs elsewhere (trust the TTL)."""
    parts = owner.split(":")
    if len(parts) != 4 or parts[0] != _HOST:
        return None
    try:
        pid = int(parts[1])
    except ValueError:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = _start_time(pid)
    return started is None or started == parts[2]


class LockBusy(Exception):
    """The lock is held by a live owner."""

    def __init__(self, name: str, owner: str | None) -> None:
        super().__init__(f"{name} is held by {owner or 'another process'}")
        self.name = name
        self.owner = owner


class OwnedLock:
    """`async with OwnedLock(redis, name, ttl=15):` — held while the block runs, renewed every
    ttl/3, taken over from a dead owner. `blocking_timeout` waits (polling) for a live owner."""

    def __init__(
        self,
        redis: Any,
        name: str,
        *,
        ttl: float = 15.0,
        blocking_timeout: float | None = None,
        poll: float = 0.1,
    ) -> None:
        self.redis = redis
        self.name = name
        self.ttl_ms = max(1000, int(ttl * 1000))
        self.blocking_timeout = blocking_timeout
        self.poll = poll
        self.token = owner_id()
        self._renewer: asyncio.Task[None] | None = None
        self.lost = asyncio.Event()  # set when a renewal found the lock gone

    async def holder(self) -> str | None:
        value = await self.redis.get(self.name)
        return None if value is None else str(value)

    async def _try(self) -> bool:
        if await self.redis.set(self.name, self.token, nx=True, px=self.ttl_ms):
            return True
        current = await self.holder()
        if current is None or owner_alive(current) is not False:
            return False
        if await self.redis.eval(_TAKEOVER, 1, self.name, current, self.token, self.ttl_ms):
            log.warning("lock taken over from a dead owner", lock=self.name, owner=current)
            return True
        return False

    async def acquire(self) -> bool:
        """Take the lock; False when a live owner holds it (after `blocking_timeout`, if set)."""
        deadline = time.monotonic() + (self.blocking_timeout or 0)
        while not await self._try():
            if self.blocking_timeout is None or time.monotonic() >= deadline:
                return False
            await asyncio.sleep(self.poll)
        self._renewer = asyncio.create_task(self._renew_loop(), name=f"lock:{self.name}")
        return True

    async def _renew_loop(self) -> None:
        period = self.ttl_ms / 3000
        while True:
            await asyncio.sleep(period)
            try:
                kept = await self.redis.eval(_RENEW, 1, self.name, self.token, self.ttl_ms)
            except Exception as err:  # Redis away: try again; the TTL covers a short gap
                log.warning("lock renewal failed", lock=self.name, error=str(err))
                continue
            if not kept:
                log.error("lock lost (expired or taken over)", lock=self.name)
                self.lost.set()
                return

    async def release(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.gather(self._renewer, return_exceptions=True)
            self._renewer = None
        try:
            await asyncio.wait_for(self.redis.eval(_RELEASE, 1, self.name, self.token), 5)
        except Exception as err:  # Redis away: the TTL frees it within seconds
            log.warning("lock release failed", lock=self.name, error=str(err))

    async def __aenter__(self) -> OwnedLock:
        if not await self.acquire():
            raise LockBusy(self.name, await self.holder())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()


__all__ = ["LockBusy", "OwnedLock", "owner_alive", "owner_id"]
