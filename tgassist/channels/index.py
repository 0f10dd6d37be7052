"""The post vector index: Qdrant local mode in the data dir, or a Qdrant server.

One collection per embedding model (name and size in the collection name), so a model change
starts a new collection and sizes never mix. Point ids are derived from the post id: an upsert
replaces, never duplicates. Qdrant local mode is synchronous and single-process, so every call
runs in a thread under one lock.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from tgassist.core.errors import BackendUnavailable, LocalizedError, TgassistError

if TYPE_CHECKING:
    from tgassist.ai.base import Embedder
    from tgassist.settings import Settings

R = TypeVar("R")
POINT_NAMESPACE = uuid.UUID("6f1c2a7e-4b0d-5c55-9d0e-2a8f3e1b7c10")
INDEXED_FIELDS = (
    ("channel_id", "integer"),
    ("album_id", "integer"),
    ("post_id", "integer"),
    ("tags", "keyword"),
)


class VectorIndexError(LocalizedError):
    """The vector index refused an operation (wrong vector size, backend failure): a
    `channels.index.*` key."""


def point_id(post_id: int) -> str:
    """The deterministic Qdrant point id of a post."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"post:{post_id}"))


def collection_name(prefix: str, model: str, dim: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")
    return f"{prefix}__{slug}__{dim}"


@dataclass(frozen=True)
class PostVector:
    """What is stored for one post."""

    post_id: int
    channel_id: int
    vector: np.ndarray
    album_id: int | None = None
    tags: tuple[str, ...] = ()
    date: datetime | None = None
    text: str = ""

    def payload(self) -> dict[str, Any]:
        return {
            "post_id": self.post_id,
            "channel_id": self.channel_id,
            "album_id": self.album_id,
            "tags": list(self.tags),
            "date": self.date.isoformat() if self.date else None,
            "ts": int(self.date.timestamp()) if self.date else None,
            "text": self.text[:500],
        }


@dataclass(frozen=True)
class Hit:
    post_id: int
    score: float
    payload: dict[str, Any]


class VectorIndex:
    """Qdrant behind a small async API. Build it with `build_vector_index`."""

    def __init__(self, client: Any, collection: str, dim: int, model: str) -> None:
        self.client = client
        self.collection = collection
        self.dim = dim
        self.model = model
        self._lock = threading.Lock()
        self._ready = False

    async def _call(self, fn: Callable[[], R]) -> R:
        def locked() -> R:
            with self._lock:
                return fn()

        try:
            return await asyncio.to_thread(locked)
        except TgassistError:
            raise
        except Exception as err:
            raise VectorIndexError(
                "channels.index.failed",
                collection=self.collection,
                error=f"{type(err).__name__}: {err}"[:400],
            ) from err

    def _ensure_sync(self) -> None:
        from qdrant_client import models as m

        if self._ready:
            return
        if not self.client.collection_exists(self.collection):
            self.client.create_collection(
                self.collection,
                vectors_config=m.VectorParams(size=self.dim, distance=m.Distance.COSINE),
            )
            kinds = {"integer": m.PayloadSchemaType.INTEGER, "keyword": m.PayloadSchemaType.KEYWORD}
            import warnings

            with (
                warnings.catch_warnings()
            ):  # local mode warns that payload indexes are a no-op there
                warnings.simplefilter("ignore")
                for name, kind in INDEXED_FIELDS:
                    self.client.create_payload_index(self.collection, name, kinds[kind])
        _tune_local_storage(self.client, self.collection)
        self._ready = True

    async def ensure(self) -> None:
        """Create the collection and its payload indexes unless they exist."""
        await self._call(self._ensure_sync)

    async def upsert(self, items: list[PostVector]) -> None:
        """Insert or replace the posts' vectors (same post → same point)."""
        from qdrant_client import models as m

        points = []
        for item in items:
            vec = np.asarray(item.vector, dtype=np.float32)
            if (
                vec.shape != (self.dim,)
                or not np.isfinite(vec).all()
                or float(np.linalg.norm(vec)) < 1e-6
            ):
                raise VectorIndexError("channels.index.bad_vector", post=item.post_id, dim=self.dim)
            points.append(
                m.PointStruct(
                    id=point_id(item.post_id), vector=vec.tolist(), payload=item.payload()
                )
            )

        def run() -> None:
            self._ensure_sync()
            self.client.upsert(self.collection, points=points, wait=True)

        await self._call(run)

    async def search(
        self,
        vector: np.ndarray,
        limit: int = 10,
        *,
        channel_ids: list[int] | None = None,
        album_id: int | None = None,
        tags: list[str] | None = None,
        since: datetime | None = None,
    ) -> list[Hit]:
        """Nearest posts to `vector`, optionally within channels / an album / tags / a date."""
        from qdrant_client import models as m

        must: list[Any] = []
        if channel_ids:
            must.append(m.FieldCondition(key="channel_id", match=m.MatchAny(any=list(channel_ids))))
        if album_id is not None:
            must.append(m.FieldCondition(key="album_id", match=m.MatchValue(value=album_id)))
        if tags:
            must.append(m.FieldCondition(key="tags", match=m.MatchAny(any=list(tags))))
        if since is not None:
            must.append(m.FieldCondition(key="ts", range=m.Range(gte=int(since.timestamp()))))
        query = np.asarray(vector, dtype=np.float32).tolist()

        def run() -> list[Hit]:
            self._ensure_sync()
            res = self.client.query_points(
                self.collection,
                query=query,
                limit=limit,
                query_filter=m.Filter(must=must) if must else None,
                with_payload=True,
            )
            return [
                Hit(int(p.payload["post_id"]), float(p.score), dict(p.payload)) for p in res.points
            ]

        return await self._call(run)

    async def get(self, post_id: int) -> dict[str, Any] | None:
        """The stored payload of a post (None if it is not indexed)."""

        def run() -> dict[str, Any] | None:
            self._ensure_sync()
            found = self.client.retrieve(
                self.collection, ids=[point_id(post_id)], with_payload=True
            )
            return dict(found[0].payload) if found else None

        return await self._call(run)

    async def vectors(self, post_ids: list[int]) -> dict[int, np.ndarray]:
        """Stored vectors of these posts (posts not indexed are absent)."""

        def run() -> dict[int, np.ndarray]:
            self._ensure_sync()
            found = self.client.retrieve(
                self.collection,
                ids=[point_id(p) for p in post_ids],
                with_payload=["post_id"],
                with_vectors=True,
            )
            return {
                int(p.payload["post_id"]): np.asarray(p.vector, dtype=np.float32) for p in found
            }

        return await self._call(run)

    async def count(self, channel_id: int | None = None) -> int:
        from qdrant_client import models as m

        flt = (
            m.Filter(
                must=[m.FieldCondition(key="channel_id", match=m.MatchValue(value=channel_id))]
            )
            if channel_id is not None
            else None
        )

        def run() -> int:
            self._ensure_sync()
            return int(self.client.count(self.collection, count_filter=flt, exact=True).count)

        return await self._call(run)

    async def delete_posts(self, post_ids: list[int]) -> None:
        from qdrant_client import models as m

        def run() -> None:
            self._ensure_sync()
            self.client.delete(
                self.collection,
                points_selector=m.PointIdsList(points=[point_id(p) for p in post_ids]),
            )

        await self._call(run)

    def close(self) -> None:
        with self._lock:
            self.client.close()


def _tune_local_storage(client: Any, collection: str) -> None:
    """Local mode persists every point with its own SQLite commit (an fsync each, ~2 ms); WAL with
    synchronous=NORMAL makes that ~0.1 ms. A power cut may lose the last writes, never corrupt the
    file, and the index is rebuilt by `tgassist pipeline reprocess --stage indexing`."""
    local = getattr(client, "_client", None)
    coll = getattr(local, "collections", {}).get(collection) if local is not None else None
    conn = getattr(getattr(coll, "storage", None), "storage", None)
    if isinstance(conn, sqlite3.Connection):  # qdrant-client internals; skipped if they change
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")


def build_vector_index(settings: Settings, embedder: Embedder) -> VectorIndex:
    """Qdrant server when TGASSIST_QDRANT_URL is set, else local mode under `<data_dir>/qdrant`."""
    from qdrant_client import QdrantClient

    name = collection_name(settings.index_collection_prefix, embedder.name, embedder.dim)
    try:
        if settings.qdrant_url:
            key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
            client = QdrantClient(url=settings.qdrant_url, api_key=key, timeout=30)
        else:
            path = settings.data_dir / "qdrant"
            path.mkdir(parents=True, exist_ok=True)
            client = QdrantClient(path=str(path))
    except Exception as err:
        if settings.qdrant_url:
            raise BackendUnavailable(
                "channels.index.server_unavailable", url=settings.qdrant_url, error=str(err)
            ) from err
        raise BackendUnavailable(
            "channels.index.local_unavailable", path=f"{settings.data_dir}/qdrant", error=str(err)
        ) from err

    return VectorIndex(client, name, embedder.dim, embedder.name)


__all__ = [
    "Hit",
    "VectorIndexError",
    "PostVector",
    "VectorIndex",
    "build_vector_index",
    "collection_name",
    "point_id",
]
