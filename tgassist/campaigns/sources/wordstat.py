"""The shared part of both Wordstat APIs: Redis cache, token-bucket rate limit, daily quota, retries."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from tgassist.campaigns.exceptions import WordstatAuthError, WordstatError
from tgassist.campaigns.keywords import KeywordCandidate
from tgassist.core.ratelimit import TokenBucket
from tgassist.core.redis import Redis

log = structlog.get_logger(__name__)

# The server settings that hold each API's credential (named when Wordstat refuses them).
SETTINGS = {
    "v1": "TGASSIST_WORDSTAT_OAUTH_TOKEN",
    "v2": "TGASSIST_WORDSTAT_API_KEY / TGASSIST_WORDSTAT_FOLDER_ID",
}


@dataclass(frozen=True)
class WordstatConfig:
    """How a client talks to Wordstat (built from settings by `build_wordstat`)."""

    base_url: str
    token: str
    folder_id: str | None = None
    rate_per_sec: float = 10.0
    daily_quota: int = 1000
    cache_ttl_sec: int = 7 * 86400
    retries: int = 4
    backoff_sec: float = 1.0
    num_phrases: int = 200
    devices: str = "all"
    own: bool = False  # the user's own credential (from their settings), not the server's


@dataclass(frozen=True)
class WordstatAnswer:
    """Top requests for one phrase: the phrase's own count, the top list and the associations."""

    phrase: str
    total: int | None
    top: list[KeywordCandidate]
    associations: list[KeywordCandidate]


class BaseWordstat:
    """One Wordstat API. Subclasses build the request and parse the answer; the loop lives here."""

    api = "wordstat"

    def __init__(self, config: WordstatConfig, redis: Redis, http: httpx.AsyncClient) -> None:
        self.config = config
        self.redis = redis
        self.http = http
        self.bucket = TokenBucket(redis, f"wordstat:{self.api}", config.rate_per_sec)

    # -- the API-specific part
    def request(
        self, phrase: str, regions: list[int]
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        raise NotImplementedError

    def parse(self, phrase: str, payload: dict[str, Any]) -> WordstatAnswer:
        raise NotImplementedError

    # -- shared
    def cache_key(self, phrase: str, regions: list[int]) -> str:
        ident = json.dumps(
            [phrase.lower().strip(), sorted(regions), self.config.devices, self.config.num_phrases]
        )
        return f"wordstat:cache:{self.api}:{hashlib.sha1(ident.encode()).hexdigest()}"

    def quota_key(self) -> str:
        return f"wordstat:quota:{self.api}:{datetime.now(UTC):%Y-%m-%d}"

    async def quota_used(self) -> int:
        return int(await self.redis.get(self.quota_key()) or 0)

    async def top_requests(self, phrase: str, regions: list[int]) -> WordstatAnswer:
        """Cached for `cache_ttl_sec`; otherwise one request (rate-limited, counted, retried)."""
        key = self.cache_key(phrase, regions)
        cached = await self.redis.get(key)
        if cached:
            return self.parse(phrase, json.loads(cached))
        payload = await self._fetch(phrase, regions)
        answer = self.parse(phrase, payload)  # parse before caching: a bad answer is never cached
        await self.redis.set(
            key, json.dumps(payload, ensure_ascii=False), ex=self.config.cache_ttl_sec
        )
        return answer

    async def _fetch(self, phrase: str, regions: list[int]) -> dict[str, Any]:
        url, headers, body = self.request(phrase, regions)
        cfg = self.config
        last = ""
        for attempt in range(cfg.retries + 1):
            qkey = self.quota_key()
            used = await self.redis.incr(qkey)
            if used == 1:
                await self.redis.expire(qkey, 2 * 86400)
            if used > cfg.daily_quota:
                raise WordstatError("campaigns.wordstat.quota", quota=cfg.daily_quota)
            try:
                await self.bucket.acquire(max_wait=120)
                resp = await self.http.post(url, headers=headers, json=body, timeout=30)
            except (httpx.TransportError, TimeoutError) as err:
                last = f"{type(err).__name__}: {err}"[:160]
            else:
                if resp.status_code in (401, 403):
                    if cfg.own:
                        raise WordstatAuthError(
                            "campaigns.wordstat.rejected_own", api=self.api, status=resp.status_code
                        )
                    raise WordstatAuthError(
                        "campaigns.wordstat.rejected",
                        api=self.api,
                        status=resp.status_code,
                        setting=SETTINGS[self.api],
                    )
                if resp.status_code == 429 or resp.status_code >= 500:
                    last = f"HTTP {resp.status_code}"
                elif resp.status_code >= 400:
                    raise WordstatError(
                        "campaigns.wordstat.refused",
                        api=self.api,
                        phrase=phrase,
                        status=resp.status_code,
                        body=resp.text[:200],
                    )
                else:
                    try:
                        data = resp.json()
                    except ValueError as err:
                        raise WordstatError(
                            "campaigns.wordstat.not_json", api=self.api, body=repr(resp.text[:120])
                        ) from err
                    if not isinstance(data, dict):
                        raise WordstatError(
                            "campaigns.wordstat.unexpected", api=self.api, body=str(data)[:120]
                        )
                    return data
                if attempt < cfg.retries:
                    delay = cfg.backoff_sec * 2**attempt
                    retry_after = resp.headers.get("Retry-After", "")
                    if retry_after.isdigit():
                        delay = max(delay, min(float(retry_after), 60.0))
                    log.info(
                        "wordstat retry",
                        api=self.api,
                        phrase=phrase,
                        status=resp.status_code,
                        delay=delay,
                    )
                    await asyncio.sleep(delay)
                    continue
            if attempt < cfg.retries:
                await asyncio.sleep(cfg.backoff_sec * 2**attempt)
        raise WordstatError(
            "campaigns.wordstat.unavailable", api=self.api, attempts=cfg.retries + 1, last=last
        )


def to_int(value: Any) -> int | None:
    """Counts arrive as strings in v2 ('1234') and as numbers in v1."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def candidates(items: Any, source: str) -> list[KeywordCandidate]:
    out = []
    for item in items or []:
        if isinstance(item, dict) and item.get("phrase"):
            out.append(KeywordCandidate(str(item["phrase"]), to_int(item.get("count")), source))
    return out
