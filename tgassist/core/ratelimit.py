"""Redis token buckets: per user, per external API. Atomic in one Lua call."""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any

from tgassist.core.redis import Redis

_TAKE = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= want then
  tokens = tokens - want
else
  wait = (want - tokens) / rate
end
redis.call('HSET', key, 'tokens', tokens, 'ts', now)
redis.call('EXPIRE', key, math.ceil(capacity / rate) + 1)
return tostring(wait)
"""


_SCRIPTS: weakref.WeakKeyDictionary[Redis, Any] = weakref.WeakKeyDictionary()


def _take_script(redis: Redis) -> Any:
    """One registered script per client (registering hashes the source: once, not per bucket)."""
    script = _SCRIPTS.get(redis)
    if script is None:
        script = _SCRIPTS[redis] = redis.register_script(_TAKE)
    return script


class TokenBucket:
    """`rate` tokens per second, bursts up to `capacity`. `take()` is non-blocking, `acquire()` waits."""

    def __init__(self, redis: Redis, name: str, rate: float, capacity: float | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.redis = redis
        self.key = f"ratelimit:{name}"
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(1.0, rate)
        self._script = _take_script(redis)

    async def take(self, tokens: float = 1.0) -> float:
        """Take tokens if available; returns 0.0, or the seconds to wait before trying again."""
        wait = await self._script(
            keys=[self.key], args=[self.rate, self.capacity, time.time(), tokens]
        )
        return float(wait)

    def take_in(self, pipe: Any, tokens: float = 1.0) -> None:
        """Queue `take()` on a pipeline another caller sends anyway (one round trip instead of
        two); `float()` of the command's result is what `take()` returns. EVAL rather than the
        registered script's EVALSHA: a pipeline holding a registered script first asks Redis
        SCRIPT EXISTS, a round trip of its own (Redis caches the script by its hash either way)."""
        pipe.eval(_TAKE, 1, self.key, self.rate, self.capacity, time.time(), tokens)

    async def acquire(self, tokens: float = 1.0, max_wait: float = 60.0) -> None:
        """Wait until the tokens are granted (raises TimeoutError after `max_wait`)."""
        deadline = time.monotonic() + max_wait
        while (wait := await self.take(tokens)) > 0:
            if time.monotonic() + wait > deadline:
                raise TimeoutError(f"rate limit {self.key}: no capacity within {max_wait}s")
            await asyncio.sleep(wait)
