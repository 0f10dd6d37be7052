"""LLM clients: a shared base (budget gate, accounting, validated JSON) and `build_llm`."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from tgassist.ai.base import AIError, BudgetExceeded, ChatMessage, LLMResult, T
from tgassist.ai.budget import DailyBudget
from tgassist.ai.metrics import AI_CALLS, AI_COST, AI_FAILURES, AI_SECONDS, AI_TOKENS
from tgassist.core.errors import ConfigError

if TYPE_CHECKING:
    from tgassist.core.redis import Redis
    from tgassist.settings import Settings

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def extract_json(text: str) -> Any:
    """Decode a model's JSON answer, tolerating code fences and chatter around one object/array."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1)
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    for opener, closer in (("{", "}"), ("[", "]")):
        start, end = stripped.find(opener), stripped.rfind(closer)
        if 0 <= start < end:
            try:
                return json.loads(stripped[start : end + 1])
            except ValueError:
                continue
    raise ValueError(f"not valid JSON: {text[:200]!r}")


class BaseLLM:
    """What every provider shares: the daily budget gate, metrics and cost, and `complete_json`.

    Subclasses implement `_complete` (one request, provider retries included) returning an
    LLMResult with token counts; cost is computed here from the configured prices.
    """

    provider: str = "llm"
    model: str = ""

    def __init__(
        self,
        *,
        budget: DailyBudget | None = None,
        cost_per_1k_prompt: float = 0.0,
        cost_per_1k_completion: float = 0.0,
    ) -> None:
        self.budget = budget
        self.cost_per_1k_prompt = cost_per_1k_prompt
        self.cost_per_1k_completion = cost_per_1k_completion

    async def _complete(
        self,
        messages: list[ChatMessage],
        *,
        temperature: float,
        json_mode: bool,
        max_tokens: int | None,
        images: list[bytes] | None,
    ) -> LLMResult:
        raise NotImplementedError

    async def complete(
        self,
        messages: list[ChatMessage],
        *,
        temperature: float = 0.2,
        json_mode: bool = False,
        max_tokens: int | None = None,
        images: list[bytes] | None = None,
    ) -> LLMResult:
        """One chat completion. Raises BudgetExceeded (before calling) or AIError (after retries)."""
        if self.budget is not None:
            await self.budget.check(self.provider)
        started = time.perf_counter()
        try:
            result = await self._complete(
                messages,
                temperature=temperature,
                json_mode=json_mode,
                max_tokens=max_tokens,
                images=images,
            )
        except BudgetExceeded:
            raise
        except AIError as err:
            AI_CALLS.labels(self.provider, "chat", "error").inc()
            AI_FAILURES.labels(self.provider, _reason(err)).inc()
            raise
        AI_SECONDS.labels(self.provider, "chat").observe(time.perf_counter() - started)
        cost = (
            result.prompt_tokens * self.cost_per_1k_prompt
            + result.completion_tokens * self.cost_per_1k_completion
        ) / 1000
        result = replace(result, cost=cost)
        AI_CALLS.labels(self.provider, "chat", "ok").inc()
        AI_TOKENS.labels(self.provider, "prompt").inc(result.prompt_tokens)
        AI_TOKENS.labels(self.provider, "completion").inc(result.completion_tokens)
        AI_COST.labels(self.provider).inc(cost)
        if self.budget is not None:
            await self.budget.record(result.prompt_tokens + result.completion_tokens, cost)
        return result

    async def complete_json(
        self,
        messages: list[ChatMessage],
        schema: type[T],
        *,
        temperature: float = 0.0,
        retries: int = 2,
        images: list[bytes] | None = None,
    ) -> T:
        """Ask for JSON matching `schema`; re-ask with the error (up to `retries` times), then AIError."""
        convo = [ChatMessage("system", _schema_hint(schema)), *messages]
        problem = ""
        for _ in range(retries + 1):
            result = await self.complete(
                convo, temperature=temperature, json_mode=True, images=images
            )
            try:
                return schema.model_validate(extract_json(result.text))
            except (ValueError, ValidationError) as err:
                problem = _short_error(err)
            convo = [
                *convo,
                ChatMessage("assistant", result.text),
                ChatMessage(
                    "user",
                    f"That answer is invalid: {problem}. Reply again with only one JSON object "
                    "that matches the schema.",
                ),
            ]
        AI_FAILURES.labels(self.provider, "invalid_json").inc()
        raise AIError(
            "core.ai.no_valid_json",
            provider=self.provider,
            model=self.model,
            schema=schema.__name__,
            tries=retries + 1,
            problem=problem,
        )

    async def aclose(self) -> None:
        return None


def _schema_hint(schema: type[BaseModel]) -> str:
    spec = json.dumps(schema.model_json_schema(), ensure_ascii=False, separators=(",", ":"))
    return f"Answer with one JSON object only, no prose, matching this JSON schema: {spec}"


def _short_error(err: Exception) -> str:
    if isinstance(err, ValidationError):
        parts = [f"{'.'.join(map(str, e['loc'])) or 'root'}: {e['msg']}" for e in err.errors()[:5]]
        return "; ".join(parts)
    return str(err)[:300]


def _reason(err: AIError) -> str:
    text = str(err)
    for marker, reason in (
        ("timed out", "timeout"),
        ("HTTP 429", "rate_limited"),
        ("HTTP 5", "server_error"),
    ):
        if marker in text:
            return reason
    return "error"


def build_budget(settings: Settings, redis: Redis | None) -> DailyBudget | None:
    """The daily budget; without limits it only accounts (the dashboard charts tokens and cost)."""
    if redis is None:
        return None
    return DailyBudget(
        redis, max_tokens=settings.llm_daily_token_budget, max_cost=settings.llm_daily_cost_budget
    )


def build_llm(settings: Settings, redis: Redis | None) -> BaseLLM | None:
    """The configured LLM, or None when TGASSIST_LLM_PROVIDER=none (offline fallbacks are used)."""
    provider = settings.llm_provider
    if provider == "none":
        return None
    prices = {
        "budget": build_budget(settings, redis),
        "cost_per_1k_prompt": settings.llm_cost_per_1k_prompt,
        "cost_per_1k_completion": settings.llm_cost_per_1k_completion,
    }
    if provider == "openai":
        from tgassist.ai.llm_openai import OpenAICompatibleLLM

        if not settings.llm_base_url:
            raise ConfigError("core.ai.llm_base_url_missing")
        return OpenAICompatibleLLM(
            settings.llm_base_url,
            settings.llm_model,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            timeout=settings.llm_timeout_sec,
            retries=settings.llm_max_retries,
            retry_base=settings.llm_retry_base_sec,
            retry_max=settings.llm_retry_max_sec,
            **prices,  # type: ignore[arg-type]
        )
    if provider == "gigachat":
        from tgassist.ai.llm_gigachat import GigaChatLLM, make_gigachat_client

        return GigaChatLLM(make_gigachat_client(settings), settings.gigachat_model, **prices)  # type: ignore[arg-type]
    raise ConfigError(
        "core.ai.llm_provider_unknown", value=provider, choices="none, openai, gigachat"
    )
