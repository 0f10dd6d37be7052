"""The album assembler: when every item of an album is analysed (or on timeout), its summary.

`albums.parsed` gives the members, `posts.vision.analyzed` marks items done (Redis state, 24 h
TTL). The summary is built from the database, written to the blob store, recorded in
`media_groups.meta.enrichment` and announced with `album.assembled` in the same transaction.
A replay finds the album assembled with the same members and does nothing.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select

from tgassist.channels.albums import AlbumTracker, ItemVision, build_summary, summary_key
from tgassist.channels.events import (
    ALBUM_ASSEMBLED,
    ALBUMS_OVERDUE,
    AlbumAssembled,
    AlbumOverdue,
    AlbumParsed,
    PostVisionAnalyzed,
)
from tgassist.channels.metrics import (
    ALBUM_ASSEMBLY_SECONDS,
    ALBUMS_ASSEMBLED,
    ALBUMS_PARSED,
    ALBUMS_PENDING,
    GRAPH_WRITES,
    VISION_SUMMARY_BYTES,
)
from tgassist.channels.models import MediaGroup, MediaGroupItem, PostEnrichment
from tgassist.core.locks import OwnedLock
from tgassist.core.outbox import add_event

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.worker import StageContext

log = structlog.get_logger(__name__)


def tracker(app: App) -> AlbumTracker:
    return AlbumTracker(app.redis, app.settings.album_state_ttl_sec)


async def handle_album_parsed(event: AlbumParsed, ctx: StageContext) -> None:
    """albums.parsed → remember the members (and which of them were analysed before)."""
    app = ctx.app
    ALBUMS_PARSED.inc()
    t = tracker(app)
    state = await t.on_parsed(event.album_id, event.channel_id, event.post_ids, event.caption)
    unknown = [p for p in state.post_ids if p not in state.analysed]
    if unknown:  # items analysed long ago (an album that grew later, an expired state)
        async with app.db.session() as session:
            rows = await session.execute(
                select(PostEnrichment.post_id, PostEnrichment.status).where(
                    PostEnrichment.post_id.in_(unknown), PostEnrichment.kind == "vision"
                )
            )
            for post_id, status in rows:
                state = await t.on_analysed(event.album_id, post_id, status)
    if state.complete:
        await assemble(app, event.album_id)
    ALBUMS_PENDING.set(await t.pending())


async def handle_album_vision(event: PostVisionAnalyzed, ctx: StageContext) -> None:
    """posts.vision.analyzed of an album item → mark it; assemble when it was the last one."""
    if event.album_id is None:
        return
    state = await tracker(ctx.app).on_analysed(event.album_id, event.post_id, event.status)
    # Members unknown here (albums.parsed not seen yet, or the album was assembled on timeout and
    # this is a late item): the database says whether every item is analysed now.
    if state.complete or (not state.known and await _complete_in_db(ctx.app, event.album_id)):
        await assemble(ctx.app, event.album_id)


async def _complete_in_db(app: App, album_id: int) -> bool:
    async with app.db.session() as session:
        members = set(
            (
                await session.scalars(
                    select(MediaGroupItem.post_id).where(MediaGroupItem.group_id == album_id)
                )
            ).all()
        )
        if not members:
            return False
        analysed = set(
            (
                await session.scalars(
                    select(PostEnrichment.post_id).where(
                        PostEnrichment.post_id.in_(members), PostEnrichment.kind == "vision"
                    )
                )
            ).all()
        )
    return members <= analysed


async def assemble(app: App, album_id: int, timed_out: bool = False) -> AlbumAssembled | None:
    """Build and store the album's vision summary; None when already done or the album is gone."""
    t = tracker(app)
    # One assembler per album at a time; the loser of a race finds the work done.
    async with OwnedLock(
        app.redis, f"album:assemble:{album_id}", ttl=app.settings.lock_ttl_sec, blocking_timeout=120
    ):
        async with app.db.session() as session:
            group = await session.get(MediaGroup, album_id)
            if group is None:
                await t.finish(album_id)
                return None
            members = list(
                (
                    await session.execute(
                        select(MediaGroupItem.post_id, MediaGroupItem.position)
                        .where(MediaGroupItem.group_id == album_id)
                        .order_by(MediaGroupItem.position)
                    )
                ).all()
            )
            post_ids = [m.post_id for m in members]
            done = (group.meta or {}).get("enrichment") or {}
            if done.get("post_ids") == post_ids and (timed_out or not done.get("timed_out")):
                await t.finish(album_id)
                return None
            vision = (
                {
                    r.post_id: r
                    for r in (
                        await session.scalars(
                            select(PostEnrichment).where(
                                PostEnrichment.post_id.in_(post_ids),
                                PostEnrichment.kind == "vision",
                            )
                        )
                    )
                }
                if post_ids
                else {}
            )
            items = [
                ItemVision(
                    m.post_id,
                    m.position,
                    vision[m.post_id].status if m.post_id in vision else "missing",
                    list((vision[m.post_id].data or {}).get("media") or [])
                    if m.post_id in vision
                    else [],
                )
                for m in members
            ]
            summary = build_summary(
                album_id=album_id,
                channel_id=group.channel_id,
                tenant=app.settings.tenant,
                caption=group.caption,
                items=items,
                timed_out=timed_out,
            )
            key = summary_key(app.settings.tenant, album_id)
            body = json.dumps(summary, ensure_ascii=False, indent=1).encode("utf-8")
            await app.blobs.put(key, body, "application/json")
            group.meta = {
                **(group.meta or {}),
                "enrichment": {
                    "version": summary["version"],
                    "summary_key": key,
                    "status": summary["status"],
                    "items_count": summary["items_count"],
                    "analysed": summary["analysed"],
                    "timed_out": timed_out,
                    "post_ids": post_ids,
                    "labels": [x["label"] for x in summary["labels"][:10]],
                    "ocr_chars": len(summary["ocr_text"]),
                    "assembled_at": datetime.now(UTC).isoformat(),
                },
            }
            assembled = AlbumAssembled(
                album_id=album_id,
                channel_id=group.channel_id,
                items_count=len(items),
                analysed=summary["analysed"],
                summary_key=key,
                timed_out=timed_out,
            )
            add_event(session, ALBUM_ASSEMBLED, assembled)
            channel_id = group.channel_id
        first_seen = await t.first_seen(album_id)
        await t.finish(album_id)
    app.outbox.kick()
    await app.graph.write(_album_statements(album_id, channel_id, post_ids))
    GRAPH_WRITES.labels("album").inc()
    ALBUMS_ASSEMBLED.labels("timeout" if timed_out else "complete").inc()
    VISION_SUMMARY_BYTES.observe(len(body))
    if first_seen:
        ALBUM_ASSEMBLY_SECONDS.observe(max(0.0, time.time() - first_seen))
    log.info(
        "album assembled",
        album_id=album_id,
        items=len(items),
        analysed=summary["analysed"],
        timed_out=timed_out,
        summary_key=key,
    )
    return assembled


def _album_statements(
    album_id: int, channel_id: int, post_ids: list[int]
) -> list[tuple[str, dict[str, object]]]:
    from tgassist.channels.graph import QUERIES

    out: list[tuple[str, dict[str, object]]] = [
        (QUERIES["upsert_album"], {"album_id": album_id, "channel_id": channel_id})
    ]
    out += [(QUERIES["link_album_post"], {"album_id": album_id, "post_id": p}) for p in post_ids]
    return out


async def request_overdue(app: App) -> int:
    """Publish an assembly request per overdue album (one per album and check period)."""
    t = tracker(app)
    slot = int(time.time() // max(1.0, app.settings.album_check_every_sec))
    due = await t.due(app.settings.album_assembly_timeout_sec)
    for album_id in due:
        await app.bus.publish(
            ALBUMS_OVERDUE, AlbumOverdue(album_id=album_id, event_id=f"overdue-{album_id}-{slot}")
        )
    return len(due)


async def handle_album_overdue(event: AlbumOverdue, ctx: StageContext) -> None:
    """Stage: assemble an album the timeout job found overdue (in the graph-writing process)."""
    state = await tracker(ctx.app).load(event.album_id)
    if state is None:  # assembled meanwhile
        return
    await assemble(ctx.app, event.album_id, timed_out=True)


async def assemble_overdue(app: App) -> int:
    """Job: assemble albums still incomplete after TGASSIST_ALBUM_ASSEMBLY_TIMEOUT_SEC (an item never came)."""
    t = tracker(app)
    count = 0
    for album_id in await t.due(app.settings.album_assembly_timeout_sec):
        state = await t.load(album_id)
        log.warning(
            "album assembly timed out; assembling with the items at hand",
            album_id=album_id,
            analysed=len(state.analysed) if state else 0,
            expected=len(state.post_ids) if state else None,
        )
        try:
            if await assemble(app, album_id, timed_out=True):
                count += 1
        except Exception as err:  # one bad album must not block the others; it stays pending
            log.error(
                "album assembly failed", album_id=album_id, error=f"{type(err).__name__}: {err}"
            )
    ALBUMS_PENDING.set(await t.pending())
    return count
