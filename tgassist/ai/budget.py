"""Daily (UTC) LLM budget in Redis, shared by every process: tokens and/or cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tgassist.ai.base import BudgetExceeded
from tgassist.ai.metrics import AI_BUDGET_EXCEEDED
from tgassist.core.redis import Redis

_TTL_SEC = 35 * 86400  # a month of daily usage stays readable (dashboard chart)


@dataclass(frozen=True)
class BudgetUsage:
    day: str
    tokens: int
    cost: float
    max_tokens: int | None
    max_cost: float | None

    @property
    def exhausted(self) -> bool:
        return (self.max_tokens is not None and self.tokens >= self.max_tokens) or (
            self.max_cost is not None and self.cost >= self.max_cost
        )


class DailyBudget:
    """`check()` before a call (raises BudgetExceeded once the day's limit is reached); `record()` after.

    A call already in flight when the limit is crossed still completes, so a day can overshoot by at
    most the calls running at that moment.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        max_tokens: int | None,
        max_cost: float | None,
        prefix: str = "ai:budget",
    ) -> None:
        self.redis = redis
        self.max_tokens = max_tokens
        self.max_cost = max_cost
        self.prefix = prefix

    @property
    def enabled(self) -> bool:
        return self.max_tokens is not None or self.max_cost is not None

    def _keys(self, now: datetime | None = None) -> tuple[str, str, str]:
        day = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
        return day, f"{self.prefix}:{day}:tokens", f"{self.prefix}:{day}:cost"

    async def usage(self, now: datetime | None = None) -> BudgetUsage:
        day, tkey, ckey = self._keys(now)
        tokens, cost = await self.redis.mget(tkey, ckey)
        return BudgetUsage(
            day, int(tokens or 0), float(cost or 0.0), self.max_tokens, self.max_cost
        )

    async def check(self, provider: str) -> None:
        if not self.enabled:
            return
        used = await self.usage()
        if used.exhausted:
            AI_BUDGET_EXCEEDED.labels(provider).inc()
            limits = []
            if self.max_tokens is not None:
                limits.append(f"{used.tokens}/{self.max_tokens} tokens")
            if self.max_cost is not None:
                limits.append(f"{used.cost:.4f}/{self.max_cost} cost")
            raise BudgetExceeded(
                "core.ai.budget_spent", provider=provider, day=used.day, used=", ".join(limits)
            )

    async def record(self, tokens: int, cost: float) -> None:
        _, tkey, ckey = self._keys()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incrby(tkey, int(tokens))
            pipe.incrbyfloat(ckey, float(cost))
            pipe.expire(tkey, _TTL_SEC)
            pipe.expire(ckey, _TTL_SEC)
            await pipe.execute()
