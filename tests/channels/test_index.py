"""Vector index: Qdrant local mode, one collection per model, deterministic ids, filters, read-back."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np
import pytest

from tgassist.app import App
from tgassist.channels.index import (
    PostVector,
    VectorIndexError,
    build_vector_index,
    collection_name,
    point_id,
)

TEXTS = {
    1: "Сборная Германии по футболу выиграла матч",
    2: "Центробанк повысил ключевую ставку",
    3: "Новый релиз Python ускорил интерпретатор",
    4: "Футбольный клуб подписал нового нападающего",
}


async def _fill(app: App) -> None:
    vectors = await app.embedder.embed(list(TEXTS.values()))
    items = [
        PostVector(
            pid,
            channel_id=10 if pid < 3 else 20,
            vector=vectors[i],
            album_id=7 if pid in (1, 4) else None,
            tags=("футбол",) if pid in (1, 4) else ("экономика",),
            date=datetime(2024, 1, pid, tzinfo=UTC),
            text=TEXTS[pid],
        )
        for i, pid in enumerate(TEXTS)
    ]
    await app.vectors.upsert(items)


async def test_upsert_search_and_filters_read_back(app: App) -> None:
    await _fill(app)
    assert await app.vectors.count() == 4
    query = (await app.embedder.embed(["футбольный матч сборной"]))[0]
    hits = await app.vectors.search(query, limit=2)
    assert hits[0].post_id in (1, 4)
    assert {h.post_id for h in await app.vectors.search(query, channel_ids=[20])} == {3, 4}
    assert {h.post_id for h in await app.vectors.search(query, album_id=7)} == {1, 4}
    assert {h.post_id for h in await app.vectors.search(query, tags=["экономика"])} == {2, 3}
    assert {
        h.post_id for h in await app.vectors.search(query, since=datetime(2024, 1, 3, tzinfo=UTC))
    } == {3, 4}
    payload = await app.vectors.get(2)
    assert payload is not None
    assert (
        payload["channel_id"] == 10
        and payload["album_id"] is None
        and payload["tags"] == ["экономика"]
    )
    assert payload["date"].startswith("2024-01-02")


async def test_reupsert_replaces_and_never_duplicates(app: App) -> None:
    await _fill(app)
    await _fill(app)
    vec = (await app.embedder.embed(["другой текст"]))[0]
    await app.vectors.upsert([PostVector(2, channel_id=10, vector=vec, tags=("новый",))])
    assert await app.vectors.count() == 4
    assert await app.vectors.count(channel_id=10) == 2
    assert (await app.vectors.get(2))["tags"] == ["новый"]  # type: ignore[index]
    assert point_id(2) == point_id(2) != point_id(3)


async def test_zero_or_wrong_size_vectors_are_refused(app: App) -> None:
    dim = app.embedder.dim
    with pytest.raises(VectorIndexError, match="not a valid"):
        await app.vectors.upsert([PostVector(1, 1, np.zeros(dim, dtype=np.float32))])
    with pytest.raises(VectorIndexError):
        await app.vectors.upsert([PostVector(1, 1, np.ones(dim + 1, dtype=np.float32))])
    with pytest.raises(VectorIndexError):
        await app.vectors.upsert([PostVector(1, 1, np.full(dim, np.nan, dtype=np.float32))])
    assert await app.vectors.count() == 0


async def test_model_change_means_a_new_collection(app: App) -> None:
    await _fill(app)
    name = app.vectors.collection
    assert name == collection_name("posts", app.embedder.name, app.embedder.dim)
    assert str(app.embedder.dim) in name
    app.vectors.close()
    del app.__dict__["vectors"]
    other = build_vector_index(app.settings, SimpleNamespace(name="other-model", dim=8))  # type: ignore[arg-type]
    try:
        assert other.collection != name
        assert await other.count() == 0
        vec = np.arange(1, 9, dtype=np.float32)
        await other.upsert([PostVector(1, 1, vec / np.linalg.norm(vec))])
        assert await other.count() == 1
    finally:
        other.close()
    reopened = build_vector_index(app.settings, app.embedder)
    try:
        assert (
            await reopened.count() == 4
        )  # the first model's collection is untouched and persisted
    finally:
        reopened.close()
