"""Post embeddings shared between stages through Redis, so a post's text is embedded once.

Tagging embeds the post for its zero-shot topics; indexing needs the same vector. Both build the
document with `post_document`, and `cached_embed` keys vectors by model and text hash.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tgassist.ai.base import Embedder
    from tgassist.core.redis import Redis

CACHE_TTL_SEC = 6 * 3600


def post_document(text: str, ocr: str = "", title: str = "", max_chars: int = 2000) -> str:
    """The text a post is embedded from: its text, then OCR text, then the linked page's title."""
    parts = [p.strip() for p in (text, ocr, title) if p and p.strip()]
    return "\n".join(parts)[:max_chars]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _key(model: str, text: str) -> str:
    return f"emb:{model}:{text_hash(text)[:32]}"


async def cached_embed(
    redis: Redis, embedder: Embedder, texts: list[str], ttl: int = CACHE_TTL_SEC
) -> np.ndarray:
    """Vectors of `texts` (cache first, the rest embedded in one call). Raises the embedder's AIError."""
    out = np.empty((len(texts), embedder.dim), dtype=np.float32)
    if not texts:
        return out
    keys = [_key(embedder.name, t) for t in texts]
    cached = await redis.mget(keys)
    missing = []
    for i, raw in enumerate(cached):
        vec = np.frombuffer(base64.b64decode(raw), dtype=np.float32) if raw else None
        if vec is not None and vec.shape == (embedder.dim,):
            out[i] = vec
        else:
            missing.append(i)
    if missing:
        fresh = await embedder.embed([texts[i] for i in missing])
        pipe = redis.pipeline(transaction=False)
        for row, i in enumerate(missing):
            out[i] = fresh[row]
            pipe.set(
                keys[i],
                base64.b64encode(fresh[row].astype(np.float32).tobytes()).decode("ascii"),
                ex=ttl,
            )
        await pipe.execute()
    return out
