"""Owned locks: renewed while the owner lives, released only by it, taken over from a dead one."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from tgassist.app import App
from tgassist.core.locks import LockBusy, OwnedLock, owner_alive, owner_id


def dead_owner() -> str:
    """The owner id a process had that is gone now (its pid no longer runs)."""
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    host, _pid, start, nonce = owner_id().split(":")
    return f"{host}:{int(proc.stdout)}:{start}:{nonce}"


async def test_a_held_lock_outlives_its_ttl_and_refuses_others(app: App) -> None:
    async with OwnedLock(app.redis, "lock:t1", ttl=1.0) as held:
        await asyncio.sleep(1.6)  # past the TTL: renewed meanwhile
        assert await app.redis.get("lock:t1") == held.token
        other = OwnedLock(app.redis, "lock:t1", ttl=1.0)
        assert not await other.acquire()  # a live owner (this process) keeps it
        with pytest.raises(LockBusy, match="lock:t1 is held by"):
            async with OwnedLock(app.redis, "lock:t1", ttl=1.0):
                pass
        await other.release()  # not its lock: releasing changes nothing
        assert await app.redis.get("lock:t1") == held.token
    assert await app.redis.get("lock:t1") is None


async def test_a_dead_owners_lock_is_taken_over_at_once(app: App) -> None:
    dead = dead_owner()
    assert owner_alive(dead) is False and owner_alive(owner_id()) is True
    assert owner_alive("elsewhere:1:2:3") is None  # another host: only the TTL tells
    await app.redis.set("lock:t2", dead, px=600_000)
    lock = OwnedLock(app.redis, "lock:t2", ttl=5.0)
    assert await lock.acquire()
    assert await app.redis.get("lock:t2") == lock.token
    assert 0 < await app.redis.pttl("lock:t2") <= 5000
    await lock.release()
    await app.redis.set("lock:t3", "elsewhere:1:2:3", px=600_000)
    assert not await OwnedLock(app.redis, "lock:t3").acquire()


async def test_a_blocking_lock_waits_for_the_holder(app: App) -> None:
    first = OwnedLock(app.redis, "lock:t4", ttl=2.0)
    assert await first.acquire()
    waiter = OwnedLock(app.redis, "lock:t4", ttl=2.0, blocking_timeout=5.0, poll=0.05)
    task = asyncio.create_task(waiter.acquire())
    await asyncio.sleep(0.3)
    assert not task.done()
    await first.release()
    assert await asyncio.wait_for(task, 5)
    await waiter.release()
