"""The daily LLM budget gate in Redis: over the limit, no request leaves the process."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.openai_server import FakeOpenAI, FakeResponse
from tgassist.ai import BudgetExceeded, ChatMessage, DailyBudget, build_llm


async def test_token_budget_refuses_calls_once_spent(
    make_app: Any, fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    app = await make_app(**llm_overrides, llm_daily_token_budget=100)
    fake.queue(
        FakeResponse(content="a", prompt_tokens=60, completion_tokens=30),
        FakeResponse(content="b", prompt_tokens=10, completion_tokens=5),
    )
    assert (await app.llm.complete([ChatMessage("user", "1")])).text == "a"  # 90 used
    assert (await app.llm.complete([ChatMessage("user", "2")])).text == "b"  # 105 used: over
    with pytest.raises(BudgetExceeded, match=r"105/100 tokens.*TGASSIST_LLM_DAILY_TOKEN_BUDGET"):
        await app.llm.complete([ChatMessage("user", "3")])
    assert fake.calls == 2
    usage = await app.llm.budget.usage()
    assert usage.tokens == 105 and usage.exhausted
    # shared through Redis: another client (another process) sees the same spend
    other = build_llm(app.settings, app.redis)
    assert other is not None and other is not app.llm
    with pytest.raises(BudgetExceeded):
        await other.complete([ChatMessage("user", "4")])
    await other.aclose()
    assert fake.calls == 2


async def test_cost_budget_uses_the_configured_prices(
    make_app: Any, fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    app = await make_app(**llm_overrides, llm_daily_cost_budget=1.0, llm_cost_per_1k_prompt=10.0)
    fake.queue(
        FakeResponse(content="a", prompt_tokens=60, completion_tokens=0),
        FakeResponse(content="b", prompt_tokens=50, completion_tokens=0),
    )
    await app.llm.complete([ChatMessage("user", "1")])  # cost 0.6
    await app.llm.complete([ChatMessage("user", "2")])  # cost 1.1
    with pytest.raises(BudgetExceeded, match="cost"):
        await app.llm.complete([ChatMessage("user", "3")])
    assert fake.calls == 2


async def test_budget_keys_are_per_utc_day_and_expire(make_app: Any) -> None:
    app = await make_app()
    budget = DailyBudget(app.redis, max_tokens=10, max_cost=None)
    await budget.record(7, 0.5)
    used = await budget.usage()
    assert (used.tokens, used.cost, used.exhausted) == (7, 0.5, False)
    ttl = await app.redis.ttl(f"ai:budget:{used.day}:tokens")
    assert 30 * 86400 < ttl <= 35 * 86400  # kept a month for the dashboard chart
    await budget.check("openai")  # under the limit: no error
    assert not (await DailyBudget(app.redis, max_tokens=None, max_cost=None).usage()).exhausted
