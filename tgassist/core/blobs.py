"""Blob store: a local directory by default, S3-compatible when TGASSIST_S3_ENDPOINT_URL is set.

Keys are identical in both (`media/ab/abcdef….jpg`, `album/{tenant}/{id}_vision_summary_v1.json`).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path, PurePosixPath
from typing import Any

from tgassist.core.errors import LocalizedError


class BlobError(LocalizedError):
    """A blob cannot be read or written (a `core.blobs.*` key: which blob, what to do)."""


def _check_key(key: str) -> str:
    p = PurePosixPath(key)
    if p.is_absolute() or ".." in p.parts or not key:
        raise BlobError("core.blobs.key_invalid", key=key)
    return key


class BlobStore(ABC):
    where: str = ""  # the store, as a message names it (a directory, an S3 bucket)

    @abstractmethod
    async def put(self, key: str, data: bytes, content_type: str | None = None) -> None: ...

    @abstractmethod
    async def get(self, key: str) -> bytes: ...

    @abstractmethod
    async def exists(self, key: str) -> bool: ...

    @abstractmethod
    async def delete(self, key: str) -> None: ...

    @abstractmethod
    async def size(self) -> int:
        """Bytes used (for the storage-usage job)."""


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = str(root)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    async def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)  # atomic: readers never see half a blob

        try:
            await asyncio.to_thread(write)
        except OSError as err:  # a full disk, no permission
            raise _failed("core.blobs.unwritable", key, self.where, err) from err

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError as err:
            raise BlobError("core.blobs.not_found", key=key, where=self.where) from err
        except OSError as err:  # no permission, a gone disk: say which blob and why
            raise _failed("core.blobs.unreadable", key, self.where, err) from err

    async def exists(self, key: str) -> bool:
        return self._path(key).exists()

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def size(self) -> int:
        def walk() -> int:
            return (
                sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())
                if self.root.exists()
                else 0
            )

        return await asyncio.to_thread(walk)


class S3BlobStore(BlobStore):
    def __init__(
        self, endpoint_url: str, bucket: str, access_key: str | None, secret_key: str | None
    ) -> None:
        import boto3

        self.bucket = bucket
        self.where = f"s3://{bucket} ({endpoint_url})"
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
        )

    async def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        _check_key(key)
        try:
            await asyncio.to_thread(
                self.client.put_object, Bucket=self.bucket, Key=key, Body=data, **extra
            )
        except Exception as err:
            raise _failed("core.blobs.unwritable", key, self.where, err) from err

    async def get(self, key: str) -> bytes:
        try:
            obj = await asyncio.to_thread(
                self.client.get_object, Bucket=self.bucket, Key=_check_key(key)
            )
        except BlobError:
            raise
        except Exception as err:
            response = getattr(err, "response", None)
            code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
            if code in ("NoSuchKey", "404", "NotFound"):
                raise BlobError("core.blobs.not_found", key=key, where=self.where) from err
            # wrong credentials, a missing bucket, an unreachable endpoint: not "not found"
            raise _failed("core.blobs.unreadable", key, self.where, err) from err
        return await asyncio.to_thread(obj["Body"].read)

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(
                self.client.head_object, Bucket=self.bucket, Key=_check_key(key)
            )
            return True
        except Exception:
            return False

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=_check_key(key))

    async def size(self) -> int:
        total = 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in await asyncio.to_thread(lambda: list(paginator.paginate(Bucket=self.bucket))):
            total += sum(o["Size"] for o in page.get("Contents", []))
        return total


def _failed(msg_key: str, key: str, where: str, err: BaseException) -> BlobError:
    return BlobError(msg_key, key=key, where=where, error=f"{type(err).__name__}: {err}"[:300])
