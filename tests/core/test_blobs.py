"""Blob stores (keys identical in both) and their errors, told in the reader's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from tgassist.core.blobs import BlobError, LocalBlobStore, S3BlobStore
from tgassist.core.errors import LocalizedError


async def test_local_blobs_round_trip(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.put("album/default/1_vision_summary_v1.json", b"{}")
    assert await store.exists("album/default/1_vision_summary_v1.json")
    assert await store.get("album/default/1_vision_summary_v1.json") == b"{}"
    assert await store.size() == 2
    await store.delete("album/default/1_vision_summary_v1.json")
    assert not await store.exists("album/default/1_vision_summary_v1.json")
    with pytest.raises(BlobError) as missing:
        await store.get("media/ab/missing.jpg")
    err = missing.value
    assert isinstance(err, LocalizedError) and err.key == "core.blobs.not_found"
    assert "media/ab/missing.jpg" in err.render("en") and str(tmp_path) in err.render("en")
    assert err.render("ru").startswith("Файла media/ab/missing.jpg нет в файловом хранилище")
    assert str(err) == err.render("en")  # logs and dead letters read English


async def test_blob_keys_cannot_escape_the_root(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    for key in ("../etc/passwd", "/abs", ""):
        with pytest.raises(BlobError) as bad:
            await store.put(key, b"x")
        assert bad.value.key == "core.blobs.key_invalid"
        assert "Недопустимый ключ файлового хранилища" in bad.value.render("ru")
    assert not (tmp_path / "etc").exists()


async def test_a_storage_that_cannot_be_written_or_read_says_which_file_and_why(
    tmp_path: Path,
) -> None:
    (tmp_path / "blobs").write_text("a file where the directory should be")
    store = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(BlobError) as unwritable:
        await store.put("media/ab/x.jpg", b"x")
    assert unwritable.value.key == "core.blobs.unwritable"
    text = unwritable.value.render("ru")
    assert "Не удалось записать файл media/ab/x.jpg" in text and "свободное место" in text
    store = LocalBlobStore(tmp_path / "other")
    (tmp_path / "other" / "media").mkdir(parents=True)  # a directory where a file should be
    with pytest.raises(BlobError) as unreadable:
        await store.get("media")
    assert unreadable.value.key == "core.blobs.unreadable"
    assert "Cannot read file media from the file storage" in unreadable.value.render("en")


async def test_s3_tells_a_missing_blob_from_a_storage_fault() -> None:
    from botocore.stub import Stubber

    store = S3BlobStore("http://127.0.0.1:9", "media-bucket", "key", "secret")
    with Stubber(store.client) as stub:
        stub.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
        stub.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
        stub.add_client_error("put_object", service_error_code="NoSuchBucket", http_status_code=404)
        with pytest.raises(BlobError) as missing:
            await store.get("media/ab/x.jpg")
        assert missing.value.key == "core.blobs.not_found"
        assert "s3://media-bucket" in missing.value.render("en")
        with pytest.raises(BlobError) as denied:
            await store.get("media/ab/x.jpg")
        assert denied.value.key == "core.blobs.unreadable"
        assert "AccessDenied" in denied.value.render("ru")
        with pytest.raises(BlobError) as unwritable:
            await store.put("media/ab/x.jpg", b"x")
        assert unwritable.value.key == "core.blobs.unwritable"
