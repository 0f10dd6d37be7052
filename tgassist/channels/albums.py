"""Album assembly: which items of an album were analysed (Redis, 24 h TTL) and the vision summary.

The state only decides *when* an album is assembled; what goes into the summary is read from the
database (album members, per-post vision results), so a lost or expired state loses nothing: the
timeout job still assembles the album from what is stored.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tgassist.ai.text import tokens

if TYPE_CHECKING:
    from tgassist.core.redis import Redis

STATE_PREFIX = "album:state:"
PENDING_KEY = "albums:pending"  # zset: album id → first time the pipeline saw it
SUMMARY_VERSION = 1
MAX_OCR_CHARS = 4000
MAX_LABELS = 20
_SPACE_RE = re.compile(r"\s+")
_LABEL_JUNK_RE = re.compile(r"[^\w\s-]+")


def summary_key(tenant: str, album_id: int) -> str:
    return f"album/{tenant}/{album_id}_vision_summary_v1.json"


@dataclass
class AlbumState:
    """What the assembler knows of an album so far."""

    album_id: int
    channel_id: int | None = None
    post_ids: list[int] = field(default_factory=list)
    caption: str | None = None
    analysed: dict[int, str] = field(default_factory=dict)  # post id → vision status
    first_seen: float = 0.0

    @property
    def known(self) -> bool:
        """albums.parsed was seen (the member list is known)."""
        return bool(self.post_ids)

    @property
    def complete(self) -> bool:
        return self.known and all(p in self.analysed for p in self.post_ids)


class AlbumTracker:
    """Album states in Redis hashes `album:state:{id}` plus a pending set for the timeout job."""

    def __init__(self, redis: Redis, ttl_sec: int = 86400) -> None:
        self.redis = redis
        self.ttl = ttl_sec

    def _key(self, album_id: int) -> str:
        return f"{STATE_PREFIX}{album_id}"

    async def _touch(self, album_id: int, fields: dict[str, str]) -> AlbumState:
        key = self._key(album_id)
        now = time.time()
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping=fields)  # type: ignore[arg-type]
        pipe.hsetnx(key, "first_seen", str(now))
        pipe.expire(key, self.ttl)
        pipe.zadd(PENDING_KEY, {str(album_id): now}, nx=True)
        pipe.hgetall(key)
        raw = (await pipe.execute())[-1]
        return _state(album_id, raw)

    async def on_parsed(
        self, album_id: int, channel_id: int, post_ids: list[int], caption: str | None
    ) -> AlbumState:
        """Record the album's members (a later albums.parsed with more items replaces them)."""
        meta = {"channel_id": channel_id, "post_ids": sorted(set(post_ids)), "caption": caption}
        return await self._touch(album_id, {"meta": json.dumps(meta, ensure_ascii=False)})

    async def on_analysed(self, album_id: int, post_id: int, status: str) -> AlbumState:
        return await self._touch(album_id, {f"a:{post_id}": status})

    async def load(self, album_id: int) -> AlbumState | None:
        raw = await self.redis.hgetall(self._key(album_id))
        return _state(album_id, raw) if raw else None  # type: ignore[arg-type]

    async def due(self, older_than_sec: float, limit: int = 500) -> list[int]:
        """Albums first seen more than `older_than_sec` ago and still pending."""
        ids = await self.redis.zrangebyscore(
            PENDING_KEY, 0, time.time() - older_than_sec, start=0, num=limit
        )
        return [int(str(i)) for i in ids]

    async def first_seen(self, album_id: int) -> float | None:
        score = await self.redis.zscore(PENDING_KEY, str(album_id))
        return float(score) if score is not None else None

    async def finish(self, album_id: int) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self._key(album_id))
        pipe.zrem(PENDING_KEY, str(album_id))
        await pipe.execute()

    async def pending(self) -> int:
        return int(await self.redis.zcard(PENDING_KEY))


def _state(album_id: int, raw: dict[str, str]) -> AlbumState:
    state = AlbumState(album_id, first_seen=float(raw.get("first_seen") or 0.0))
    if "meta" in raw:
        meta = json.loads(raw["meta"])
        state.channel_id = meta.get("channel_id")
        state.post_ids = [int(p) for p in meta.get("post_ids") or []]
        state.caption = meta.get("caption")
    state.analysed = {int(k[2:]): v for k, v in raw.items() if k.startswith("a:")}
    return state


@dataclass
class ItemVision:
    """One album item's vision results, as stored in post_enrichment(kind='vision')."""

    post_id: int
    position: int
    status: str  # ok | partial | skipped | failed | unavailable | missing (never analysed)
    media: list[dict[str, Any]] = field(default_factory=list)


def normalise_line(line: str) -> str:
    return _SPACE_RE.sub(" ", line).strip()


def normalise_label(label: str) -> str:
    """Lowercase words, punctuation dropped (`"Cats!"` → `cats`)."""
    return " ".join(tokens(_LABEL_JUNK_RE.sub(" ", label)))


def _priority(item: ItemVision) -> tuple[int, int]:
    text = sum(len(m.get("ocr_text") or "") for m in item.media)
    ok = item.status in ("ok", "partial")
    return (0 if ok and text else 1 if ok else 2, -text)


def build_summary(
    *,
    album_id: int,
    channel_id: int,
    tenant: str,
    caption: str | None,
    items: list[ItemVision],
    timed_out: bool,
) -> dict[str, Any]:
    """The album vision summary: items with text first, OCR lines de-duplicated, labels counted."""
    ordered = sorted(items, key=lambda i: i.position)
    seen_media: set[str] = set()
    lines: list[str] = []
    seen_lines: set[str] = set()
    labels: Counter[str] = Counter()
    first_label: dict[str, int] = {}
    descriptions: list[str] = []
    used = 0
    for item in sorted(ordered, key=_priority):
        for media in item.media:
            sha = str(media.get("sha256") or "")
            if sha in seen_media:  # the same picture twice in one album counts once
                continue
            seen_media.add(sha)
            for raw in (media.get("ocr_text") or "").splitlines():
                line = normalise_line(raw)
                folded = line.casefold()
                if len(line) < 2 or not any(c.isalnum() for c in line) or folded in seen_lines:
                    continue
                if used + len(line) > MAX_OCR_CHARS:
                    break
                seen_lines.add(folded)
                lines.append(line)
                used += len(line) + 1
            for label in media.get("labels") or []:
                norm = normalise_label(str(label))
                if norm:
                    labels[norm] += 1
                    first_label.setdefault(norm, len(first_label))
            desc = normalise_line(media.get("description") or "")
            if desc and desc not in descriptions:
                descriptions.append(desc)
    analysed = sum(1 for i in items if i.status not in ("missing",))
    with_text = sum(1 for i in items if any(m.get("ocr_text") for m in i.media))
    ranked = sorted(labels, key=lambda k: (-labels[k], first_label[k]))[:MAX_LABELS]
    return {
        "version": SUMMARY_VERSION,
        "album_id": album_id,
        "channel_id": channel_id,
        "tenant": tenant,
        "caption": caption,
        "items_count": len(items),
        "analysed": analysed,
        "with_text": with_text,
        "timed_out": timed_out,
        "status": "complete" if analysed == len(items) and not timed_out else "partial",
        "items": [
            {
                "post_id": i.post_id,
                "position": i.position,
                "status": i.status,
                "media": [m.get("sha256") for m in i.media],
            }
            for i in ordered
        ],
        "ocr_text": "\n".join(lines),
        "labels": [{"label": k, "count": labels[k]} for k in ranked],
        "descriptions": descriptions,
        "created_at": datetime.now(UTC).isoformat(),
    }


__all__ = [
    "AlbumState",
    "AlbumTracker",
    "ItemVision",
    "build_summary",
    "normalise_label",
    "normalise_line",
    "summary_key",
]
