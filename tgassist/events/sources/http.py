"""HTTP for sources: one client, a Redis token bucket, retries with backoff, clear errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from tgassist.core.ratelimit import TokenBucket
from tgassist.events.exceptions import SourceError, SourceHttpError, SourceShapeError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "tgassist/0.1 (+events)"


class SourceHttp:
    """GET with self-throttling and retries. Use as `async with SourceHttp(...) as http:`."""

    def __init__(
        self,
        name: str,
        *,
        bucket: TokenBucket | None = None,
        retries: int = 3,
        backoff_sec: float = 1.0,
        timeout_sec: float = 30.0,
    ) -> None:
        self.name = name
        self.bucket = bucket
        self.retries = retries
        self.backoff_sec = backoff_sec
        self.client = httpx.AsyncClient(
            timeout=timeout_sec, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        )
        self.requests = 0

    @classmethod
    def from_settings(
        cls, name: str, settings: Any, bucket: TokenBucket | None = None
    ) -> SourceHttp:
        """A client with the events HTTP settings (retries, backoff, timeout)."""
        return cls(
            name,
            bucket=bucket,
            retries=settings.events_http_retries,
            backoff_sec=settings.events_http_backoff_sec,
            timeout_sec=settings.events_http_timeout_sec,
        )

    async def __aenter__(self) -> SourceHttp:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        """The response of the first successful try; SourceError after the last retry."""
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff_sec * 2 ** (attempt - 1))
            if self.bucket is not None:
                await self.bucket.acquire()
            self.requests += 1
            try:
                resp = await self.client.get(url, params=params)
            except httpx.HTTPError as err:
                last = f"{type(err).__name__}: {err}"
                continue
            if resp.status_code in RETRY_STATUSES:
                last = f"HTTP {resp.status_code}"
                continue
            if resp.status_code >= 400:
                raise SourceHttpError(
                    "events.source.http_error",
                    status=resp.status_code,
                    body=resp.text[:500],
                    source=self.name,
                    url=url,
                )
            return resp
        raise SourceError(
            "events.source.gave_up",
            source=self.name,
            url=url,
            tries=self.retries + 1,
            error=last,
        )

    async def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        resp = await self.get(url, params)
        try:
            return resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise SourceShapeError(
                "events.source.invalid_json",
                source=self.name,
                url=url,
                error=err.__class__.__name__,
                pos=getattr(err, "pos", "?"),
            ) from err


async def read_resource(location: str, http: SourceHttp) -> bytes:
    """Bytes of an http(s) URL or a local file (`file://` or a plain path)."""
    if location.startswith(("http://", "https://")):
        return (await http.get(location)).content
    path = location.removeprefix("file://")
    try:
        return await asyncio.to_thread(lambda: Path(path).expanduser().read_bytes())
    except OSError as err:
        raise SourceError(
            "events.source.file_unreadable", source=http.name, path=path, error=err.strerror
        ) from err
