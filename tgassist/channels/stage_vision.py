"""The vision stage: OCR (+ optional LLM description) of a post's images, once per image.

Per media sha256 and analysis parameters the result is stored once (`media_vision`), under a Redis
lock, so the same picture in another post is never analysed again. Policy skips (stickers, tiny
images, files over the size cap, non-images) and the daily cap are decided before any work;
transient outcomes (cap reached, OCR not installed) are not stored, so a later run does them.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import delete, select

from tgassist.channels.enrichment_models import MediaVision
from tgassist.channels.enrichment_store import (
    insert_ignore,
    load_post,
    post_media,
    upsert_enrichment,
)
from tgassist.channels.events import POSTS_VISION_ANALYZED, PostParsed, PostVisionAnalyzed
from tgassist.channels.metrics import VISION_BUDGET_EXHAUSTED, VISION_MEDIA
from tgassist.core.locks import OwnedLock
from tgassist.core.outbox import add_event

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.channels.models import MediaObject
    from tgassist.core.worker import StageContext

log = structlog.get_logger(__name__)

VISION_VERSION = 1
IMAGE_KINDS = ("photo", "image")
CAP_KEY = "vision:cap:"


@dataclass(frozen=True)
class VisionPolicy:
    """Which media are worth analysing."""

    max_bytes: int
    min_side_px: int

    def refusal(
        self,
        kind: str | None,
        mime: str | None,
        size: int | None,
        width: int | None,
        height: int | None,
    ) -> str | None:
        if kind == "sticker" or (mime or "").endswith("x-tgsticker"):
            return "sticker"
        if not ((mime or "").startswith("image/") or kind in IMAGE_KINDS):
            return f"not an image ({mime or kind or 'unknown type'})"
        if mime in ("image/gif", "image/svg+xml"):
            return f"not a still raster image ({mime})"
        if size and size > self.max_bytes:
            return f"file too large ({size} bytes > {self.max_bytes})"
        if width and height and min(width, height) < self.min_side_px:
            return f"image too small ({width}x{height})"
        return None


def params_hash(app: App) -> tuple[str, str]:
    """(provider, hash of the analysis parameters): a change means a fresh analysis."""
    s = app.settings
    llm = app.llm if s.vision_llm_enabled else None
    provider = "tesseract" + (f"+llm:{llm.provider}:{llm.model}" if llm is not None else "")
    spec = {
        "v": VISION_VERSION,
        "ocr": s.ocr_languages,
        "llm": provider,
        "min_side": s.vision_min_side_px,
    }
    return provider, hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:32]


async def _take_budget(app: App) -> bool:
    cap = app.settings.vision_daily_cap
    if cap <= 0:
        return True
    key = CAP_KEY + datetime.now(UTC).strftime("%Y-%m-%d")
    pipe = app.redis.pipeline(transaction=True)
    pipe.incr(key)
    pipe.expire(key, 2 * 86400)
    used = int((await pipe.execute())[0])
    return used <= cap


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height from the header; raises ValueError for anything PIL cannot read."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()  # a truncated or corrupt file fails here, before Tesseract sees it
            return int(img.width), int(img.height)
    except Exception as err:
        raise ValueError(f"cannot decode the image: {type(err).__name__}: {err}"[:300]) from err


async def analyse_media(app: App, media: MediaObject, *, force: bool = False) -> dict[str, Any]:
    """The vision result of one media object (reused when this image was analysed before)."""
    s = app.settings
    base: dict[str, Any] = {
        "sha256": media.sha256,
        "ocr_text": "",
        "labels": [],
        "description": None,
    }
    policy = VisionPolicy(s.vision_max_bytes, s.vision_min_side_px)
    if not s.vision_enabled:
        return {
            **base,
            "status": "skipped",
            "reason": "vision disabled (TGASSIST_VISION_ENABLED=false)",
        }
    reason = policy.refusal(media.kind, media.mime, media.size, media.width, media.height)
    if reason:
        VISION_MEDIA.labels("skipped").inc()
        return {**base, "status": "skipped", "reason": reason}
    provider, phash = params_hash(app)
    # Owned, short TTL: a killed worker's lock is taken over at once, not after minutes.
    async with OwnedLock(
        app.redis,
        f"vision:lock:{media.sha256}",
        ttl=app.settings.lock_ttl_sec,
        blocking_timeout=300,
    ):
        async with app.db.session() as session:
            done = await session.scalar(
                select(MediaVision).where(
                    MediaVision.sha256 == media.sha256, MediaVision.params_hash == phash
                )
            )
            if done is not None and force and done.status in ("failed", "partial"):
                await session.execute(delete(MediaVision).where(MediaVision.id == done.id))
                done = None
        if done is not None:
            VISION_MEDIA.labels("reused").inc()
            return {**done.as_dict(), "reused": True}
        result = await _run(app, media, provider, policy, base)
        if result.pop("store", False):
            async with app.db.session() as session:
                await insert_ignore(
                    session,
                    MediaVision.__table__,
                    {
                        "sha256": media.sha256,
                        "params_hash": phash,
                        "provider": provider,
                        "status": result["status"],
                        "reason": (result.get("reason") or None),
                        "ocr_text": result["ocr_text"],
                        "description": result.get("description"),
                        "labels": result["labels"],
                        "width": result.get("width"),
                        "height": result.get("height"),
                        "created_at": datetime.now(UTC),
                    },
                    ["sha256", "params_hash"],
                )
        return result


async def _run(
    app: App, media: MediaObject, provider: str, policy: VisionPolicy, base: dict[str, Any]
) -> dict[str, Any]:
    from tgassist.ai.base import AIError, BudgetExceeded
    from tgassist.ai.vision import OCRUnavailable, describe_image
    from tgassist.core.blobs import BlobError

    ocr = app.ocr
    if ocr is None or not ocr.available():
        VISION_MEDIA.labels("unavailable").inc()
        why = (
            "OCR disabled (TGASSIST_OCR_ENABLED=false)"
            if ocr is None
            else f"OCR unavailable: {ocr.reason}"
        )
        return {**base, "status": "unavailable", "reason": why}
    if not media.blob_key:
        VISION_MEDIA.labels("failed").inc()
        return {**base, "status": "failed", "reason": "media has no stored file"}
    try:
        data = await app.blobs.get(media.blob_key)
    except BlobError as err:
        VISION_MEDIA.labels("failed").inc()
        return {**base, "status": "failed", "reason": str(err)}
    if len(data) > policy.max_bytes:
        VISION_MEDIA.labels("skipped").inc()
        return {
            **base,
            "status": "skipped",
            "reason": f"file too large ({len(data)} bytes > {policy.max_bytes})",
        }
    try:
        width, height = _image_size(data)
    except ValueError as err:
        VISION_MEDIA.labels("failed").inc()
        log.warning("vision: broken image", sha256=media.sha256, error=str(err))
        return {**base, "status": "failed", "reason": str(err), "store": True}
    base = {**base, "width": width, "height": height}
    if min(width, height) < policy.min_side_px:
        VISION_MEDIA.labels("skipped").inc()
        return {
            **base,
            "status": "skipped",
            "reason": f"image too small ({width}x{height})",
            "store": True,
        }
    if not await _take_budget(app):
        VISION_BUDGET_EXHAUSTED.inc()
        VISION_MEDIA.labels("budget").inc()
        return {
            **base,
            "status": "skipped",
            "reason": "daily vision cap reached (TGASSIST_VISION_DAILY_CAP)",
        }
    try:
        text = await ocr.read_text(data)
    except OCRUnavailable as err:
        VISION_MEDIA.labels("unavailable").inc()
        return {**base, "status": "unavailable", "reason": str(err)}
    except AIError as err:
        VISION_MEDIA.labels("failed").inc()
        log.warning("vision: OCR failed", sha256=media.sha256, error=str(err))
        return {**base, "status": "failed", "reason": str(err)[:300], "store": True}
    result = {**base, "status": "ok", "reason": None, "ocr_text": text, "store": True}
    if "+llm:" in provider and app.llm is not None:
        try:
            described = await describe_image(app.llm, data)
            result["description"], result["labels"] = described.description, described.labels
        except BudgetExceeded as err:  # OCR is kept; the description is simply missing today
            result.update(status="partial", reason=str(err)[:300], store=False)
        except AIError as err:
            result.update(status="partial", reason=f"LLM vision failed: {err}"[:300])
    VISION_MEDIA.labels(result["status"]).inc()
    return result


def aggregate_status(results: list[dict[str, Any]]) -> str:
    statuses = [r["status"] for r in results]
    analysed = [st for st in statuses if st in ("ok", "partial")]
    if analysed:
        return (
            "ok"
            if len(analysed) == len(statuses) and all(st == "ok" for st in analysed)
            else "partial"
        )
    if "unavailable" in statuses:
        return "unavailable"
    if "failed" in statuses:
        return "failed"
    return "skipped"


async def handle_vision(event: PostParsed, ctx: StageContext) -> None:
    """posts.parsed → per-image results → post_enrichment(kind='vision') → posts.vision.analyzed."""
    app = ctx.app
    if not event.media_sha256 and event.album_id is None:
        return  # nothing to look at, and no album waits for this post
    async with app.db.session() as session:
        post = await load_post(session, event.post_id)
        media = await post_media(session, event.post_id) if post else []
    if post is None:
        log.info("vision: post is gone; nothing to do", post_id=event.post_id)
        return
    results: list[dict[str, Any]] = []
    seen: set[str] = set()
    for m in media:
        if m.sha256 not in seen:
            seen.add(m.sha256)
            results.append(await analyse_media(app, m, force=event.trigger == "reprocess"))
    status = aggregate_status(results)
    provider, phash = params_hash(app)
    ocr_text = "\n".join(r["ocr_text"] for r in results if r.get("ocr_text"))
    data = {
        "version": VISION_VERSION,
        "media": results,
        "ocr_text": ocr_text,
        "labels": sorted({label for r in results for label in r.get("labels") or []}),
        "descriptions": [r["description"] for r in results if r.get("description")],
    }
    key = f"vision/{app.settings.tenant}/{event.post_id}_vision_v1.json"
    await app.blobs.put(
        key, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json"
    )
    data["summary_key"] = key
    async with app.db.session() as session:
        await upsert_enrichment(
            session,
            event.post_id,
            "vision",
            status=status,
            data=data,
            event_time=event.occurred_at,
            provider=provider,
            params_hash=phash,
        )
        add_event(
            session,
            POSTS_VISION_ANALYZED,
            event.child(
                PostVisionAnalyzed,
                post_id=event.post_id,
                channel_id=event.channel_id,
                album_id=post.album_id,
                media_sha256=[r["sha256"] for r in results],
                status=status,
            ),
        )
    app.outbox.kick()
    if status not in ("ok", "skipped"):
        reasons = sorted({r.get("reason") or "" for r in results if r["status"] != "ok"})
        log.info(
            "vision: post analysed with problems",
            post_id=event.post_id,
            status=status,
            reasons=reasons,
        )
