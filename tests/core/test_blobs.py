"""Local blob store (keys identical to S3's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tgassist.core.blobs import BlobError, LocalBlobStore


async def test_local_blobs_round_trip(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.put("album/default/1_vision_summary_v1.json", b"{}")
    assert await store.exists("album/default/1_vision_summary_v1.json")
    assert await store.get("album/default/1_vision_summary_v1.json") == b"{}"
    assert await store.size() == 2
    await store.delete("album/default/1_vision_summary_v1.json")
    assert not await store.exists("album/default/1_vision_summary_v1.json")
    with pytest.raises(BlobError, match="not found"):
        await store.get("missing")


async def test_blob_keys_cannot_escape_the_root(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    for key in ("../etc/passwd", "/abs", ""):
        with pytest.raises(BlobError):
            await store.put(key, b"x")
