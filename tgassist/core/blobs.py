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


class BlobError(Exception):
    """A blob cannot be read or written."""


def _check_key(key: str) -> str:
    p = PurePosixPath(key)
    if p.is_absolute() or ".." in p.parts or not key:
        raise BlobError(f"invalid blob key {key!r}")
    return key


class BlobStore(ABC):
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

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError as err:
            raise BlobError(f"blob not found: {key}") from err

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
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
        )

    async def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        await asyncio.to_thread(
            self.client.put_object, Bucket=self.bucket, Key=_check_key(key), Body=data, **extra
        )

    async def get(self, key: str) -> bytes:
        try:
            obj = await asyncio.to_thread(
                self.client.get_object, Bucket=self.bucket, Key=_check_key(key)
            )
        except Exception as err:
            raise BlobError(f"blob not found: {key}") from err
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
