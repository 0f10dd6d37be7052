"""Small protocols every AI backend implements. The embedded/offline backend is the default."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np
from pydantic import BaseModel

from tgassist.core.errors import LocalizedError

T = TypeVar("T", bound=BaseModel)


class AIError(LocalizedError):
    """An AI provider failed (after its retries): a `core.ai.*` key whose text names the provider
    and what to do."""


class BudgetExceeded(AIError):
    """The daily AI budget is spent; work that needs the provider waits until tomorrow."""


@runtime_checkable
class Embedder(Protocol):
    """Text → unit-length float32 vectors of a fixed size."""

    name: str  # model id; part of the Qdrant collection name so sizes never mix
    dim: int

    async def embed(self, texts: list[str]) -> np.ndarray:
        """Shape (len(texts), dim). Raises AIError; never returns zero/garbage vectors."""
        ...


@dataclass(frozen=True)
class ChatMessage:
    role: str  # system | user | assistant
    content: str


@dataclass(frozen=True)
class LLMResult:
    text: str
    provider: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    raw: dict[str, object] = field(default_factory=dict, compare=False)


@runtime_checkable
class LLM(Protocol):
    """A chat model. `complete_json` returns a validated pydantic object or raises AIError."""

    provider: str
    model: str

    async def complete(
        self,
        messages: list[ChatMessage],
        *,
        temperature: float = 0.2,
        json_mode: bool = False,
        max_tokens: int | None = None,
        images: list[bytes] | None = None,
    ) -> LLMResult: ...

    async def complete_json(
        self,
        messages: list[ChatMessage],
        schema: type[T],
        *,
        temperature: float = 0.0,
        retries: int = 2,
        images: list[bytes] | None = None,
    ) -> T: ...
