"""OpenAI-compatible chat over httpx: OpenAI, GigaChat via proxy, YandexGPT, Ollama, vLLM."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

import httpx

from tgassist.ai.base import AIError, ChatMessage, LLMResult
from tgassist.ai.budget import DailyBudget
from tgassist.ai.http import post_json
from tgassist.ai.llm import BaseLLM


def image_mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[:3] == b"GIF":
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"


def data_url(image: bytes) -> str:
    return f"data:{image_mime(image)};base64,{base64.b64encode(image).decode()}"


class OpenAICompatibleLLM(BaseLLM):
    """`POST {base_url}/chat/completions` with a Bearer key; retries on 429/5xx/timeouts."""

    provider = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        retry_base: float = 1.0,
        retry_max: float = 30.0,
        budget: DailyBudget | None = None,
        cost_per_1k_prompt: float = 0.0,
        cost_per_1k_completion: float = 0.0,
    ) -> None:
        super().__init__(
            budget=budget,
            cost_per_1k_prompt=cost_per_1k_prompt,
            cost_per_1k_completion=cost_per_1k_completion,
        )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.retries, self.retry_base, self.retry_max = retries, retry_base, retry_max
        self.label = (
            f"openai-compatible LLM {model} at {urlsplit(self.base_url).netloc or self.base_url}"
        )
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(timeout=timeout, headers=headers)

    async def _complete(
        self,
        messages: list[ChatMessage],
        *,
        temperature: float,
        json_mode: bool,
        max_tokens: int | None,
        images: list[bytes] | None,
    ) -> LLMResult:
        wire: list[dict[str, Any]] = [{"role": m.role, "content": m.content} for m in messages]
        if images:
            last_user = max((i for i, m in enumerate(wire) if m["role"] == "user"), default=None)
            if last_user is None:
                wire.append({"role": "user", "content": ""})
                last_user = len(wire) - 1
            parts: list[dict[str, Any]] = [{"type": "text", "text": wire[last_user]["content"]}]
            parts += [{"type": "image_url", "image_url": {"url": data_url(img)}} for img in images]
            wire[last_user] = {"role": "user", "content": parts}
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": wire,
            "temperature": temperature,
        }
        if max_tokens is not None:
            payload["max_tokens"] = max_tokens
        if json_mode:
            payload["response_format"] = {"type": "json_object"}
        body = await post_json(
            self._client,
            f"{self.base_url}/chat/completions",
            payload,
            provider=self.label,
            retries=self.retries,
            base_delay=self.retry_base,
            max_delay=self.retry_max,
            request_timeout=self.timeout,
        )
        try:
            text = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as err:
            raise AIError(
                "core.ai.answer_empty", provider=self.label, body=str(body)[:200]
            ) from err
        if not isinstance(text, str):
            raise AIError("core.ai.answer_not_text", provider=self.label)

        usage = body.get("usage") or {}
        return LLMResult(
            text=text,
            provider=self.provider,
            model=str(body.get("model") or self.model),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            raw=body,
        )

    async def aclose(self) -> None:
        await self._client.aclose()
