"""JSON over HTTP with retries: exponential backoff + jitter on 429, 5xx, timeouts and dropped connections."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx

from tgassist.ai.base import AIError
from tgassist.ai.metrics import AI_RETRIES

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Delay before retry number `attempt` (0-based): base·2^attempt, capped, with jitter in [½, 1]."""
    return min(cap, base * (2**attempt)) * random.uniform(0.5, 1.0)


def _retry_after(response: httpx.Response, cap: float) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return min(cap, max(0.0, float(value))) if value else None
    except ValueError:
        return None


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    payload: dict[str, Any],
    *,
    provider: str,
    headers: dict[str, str] | None = None,
    retries: int = 3,
    base_delay: float = 1.0,
    max_delay: float = 30.0,
    request_timeout: float | None = None,
) -> dict[str, Any]:
    """POST `payload`; return the decoded JSON object. Raises AIError naming `provider` after retries."""
    last = "no attempt made"
    for attempt in range(retries + 1):
        delay: float | None = None
        try:
            response = await client.post(
                url, json=payload, headers=headers, timeout=request_timeout
            )
        except httpx.TimeoutException:
            last, reason = f"timed out after {request_timeout or client.timeout.read}s", "timeout"
        except httpx.TransportError as err:
            last, reason = f"connection failed: {err!r}", "connection"
        else:
            if response.status_code in RETRY_STATUS:
                last, reason = (
                    f"HTTP {response.status_code}: {response.text[:200]}",
                    f"http_{response.status_code}",
                )
                delay = _retry_after(response, max_delay)
            elif response.status_code >= 400:
                raise AIError(
                    "core.ai.http_denied"
                    if response.status_code in (401, 403)
                    else "core.ai.http_error",
                    provider=provider,
                    status=response.status_code,
                    url=url,
                    body=response.text[:300],
                )
            else:
                try:
                    body = response.json()
                except ValueError as err:
                    raise AIError(
                        "core.ai.invalid_json", provider=provider, url=url, body=response.text[:200]
                    ) from err
                if not isinstance(body, dict):
                    raise AIError("core.ai.json_not_object", provider=provider, url=url)
                return body
        if attempt < retries:
            AI_RETRIES.labels(provider, reason).inc()
            await asyncio.sleep(
                delay if delay is not None else backoff_delay(attempt, base_delay, max_delay)
            )
    raise AIError("core.ai.gave_up", provider=provider, url=url, attempts=retries + 1, error=last)
