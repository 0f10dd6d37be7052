"""GigaChat through its native SDK (`gigachat`): OAuth by credentials + scope, TLS settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from pydantic import ValidationError

from tgassist.ai.base import AIError, ChatMessage, LLMResult
from tgassist.ai.budget import DailyBudget
from tgassist.ai.llm import BaseLLM
from tgassist.core.errors import ConfigError

if TYPE_CHECKING:
    from tgassist.settings import Settings

# GigaChat refuses temperature 0; this is as close to greedy as it accepts.
_MIN_TEMPERATURE = 0.01


def make_gigachat_client(settings: Settings) -> Any:
    """An SDK client from the TGASSIST_GIGACHAT_* settings; ConfigError when credentials are missing."""
    from gigachat import GigaChat

    if settings.gigachat_credentials is None:
        raise ConfigError("core.ai.gigachat_credentials_missing")
    kwargs: dict[str, Any] = {
        "credentials": settings.gigachat_credentials.get_secret_value(),
        "scope": settings.gigachat_scope,
        "model": settings.gigachat_model,
        "verify_ssl_certs": settings.gigachat_verify_ssl,
        "timeout": settings.llm_timeout_sec,
        "max_retries": settings.llm_max_retries,
        "retry_backoff_factor": settings.llm_retry_base_sec,
    }
    if settings.gigachat_base_url:
        kwargs["base_url"] = settings.gigachat_base_url
    if settings.gigachat_auth_url:
        kwargs["auth_url"] = settings.gigachat_auth_url
    return GigaChat(**kwargs)


class GigaChatLLM(BaseLLM):
    """GigaChat chat completions; the SDK refreshes the OAuth token and retries 429/5xx."""

    provider = "gigachat"

    def __init__(
        self,
        client: Any,
        model: str = "GigaChat",
        *,
        budget: DailyBudget | None = None,
        cost_per_1k_prompt: float = 0.0,
        cost_per_1k_completion: float = 0.0,
    ) -> None:
        super().__init__(
            budget=budget,
            cost_per_1k_prompt=cost_per_1k_prompt,
            cost_per_1k_completion=cost_per_1k_completion,
        )
        self._client = client
        self.model = model

    async def _complete(
        self,
        messages: list[ChatMessage],
        *,
        temperature: float,
        json_mode: bool,
        max_tokens: int | None,
        images: list[bytes] | None,
    ) -> LLMResult:
        from gigachat.exceptions import GigaChatException
        from gigachat.models import Chat, Messages, MessagesRole

        if images:
            raise AIError("core.ai.gigachat_no_images")
        chat = Chat(
            model=self.model,
            messages=[Messages(role=MessagesRole(m.role), content=m.content) for m in messages],
            temperature=max(temperature, _MIN_TEMPERATURE),
            max_tokens=max_tokens,
        )
        try:
            answer = await self._client.achat(chat)
        except (GigaChatException, httpx.HTTPError, ValidationError) as err:
            raise AIError(
                "core.ai.provider_failed",
                provider=f"gigachat ({self.model})",
                error=f"{type(err).__name__}: {str(err)[:300]}",
            ) from err
        if not answer.choices:
            raise AIError("core.ai.answer_empty", provider=f"gigachat ({self.model})", body="")

        usage = answer.usage
        return LLMResult(
            text=answer.choices[0].message.content or "",
            provider=self.provider,
            model=answer.model or self.model,
            prompt_tokens=int(usage.prompt_tokens) if usage else 0,
            completion_tokens=int(usage.completion_tokens) if usage else 0,
            raw=answer.model_dump(by_alias=True),
        )

    async def aclose(self) -> None:
        await self._client.aclose()
