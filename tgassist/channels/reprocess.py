"""Run one enrichment stage again for stored posts (`tgassist pipeline reprocess`), or re-queue
what is missing (`--missing`, and automatically after Redis lost its data).

Each post gets a *new* event (new id: the worker's dedupe would skip the old one) on the stage's
stream. Other groups reading that stream are told the event is done for them (their idempotency
key is set before the XADD), so only the chosen stage — and what follows from it — runs again.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tgassist.channels.crawl import LinkPolicy
from tgassist.channels.events import (
    AlbumParsed,
    PostCrawl,
    PostEnriched,
    PostParsed,
    PostTagged,
    PostVisionAnalyzed,
)
from tgassist.channels.models import (
    MediaGroup,
    MediaGroupItem,
    MediaObject,
    Post,
    PostEnrichment,
    PostMedia,
)
from tgassist.channels.stages import STAGES
from tgassist.core.errors import LocalizedError
from tgassist.core.events import Event
from tgassist.core.worker import done_keys

if TYPE_CHECKING:
    from tgassist.app import App

BATCH = 500
Progress = Callable[[int], Any]  # events published so far; may return an awaitable


class ReprocessError(LocalizedError):
    """The reprocess request cannot be carried out (unknown stage …): a `channels.reprocess.*`
    key."""


@dataclass(frozen=True)
class Selection:
    since: datetime | None = None
    channel_id: int | None = None
    limit: int | None = None
    created_before: datetime | None = None  # stored before this (`--missing` after a Redis loss)


async def _posts(app: App, sel: Selection) -> AsyncIterator[list[Post]]:
    last = 0
    sent = 0
    while True:
        q = select(Post).where(Post.id > last).order_by(Post.id).limit(BATCH)
        if sel.since is not None:
            q = q.where(Post.date >= sel.since)
        if sel.channel_id is not None:
            q = q.where(Post.channel_id == sel.channel_id)
        if sel.created_before is not None:
            q = q.where(Post.created_at < sel.created_before)
        async with app.db.session() as session:
            rows = list(await session.scalars(q))
        if sel.limit is not None:
            rows = rows[: max(0, sel.limit - sent)]
        if not rows:
            return
        sent += len(rows)
        last = rows[-1].id
        yield rows


async def _kinds(app: App, post_ids: list[int], kind: str) -> dict[int, PostEnrichment]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(PostEnrichment).where(
                PostEnrichment.post_id.in_(post_ids), PostEnrichment.kind == kind
            )
        )
        return {r.post_id: r for r in rows}


async def _media(app: App, post_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    async with app.db.session() as session:
        rows = await session.execute(
            select(PostMedia.post_id, MediaObject.sha256)
            .join(MediaObject, MediaObject.id == PostMedia.media_id)
            .where(PostMedia.post_id.in_(post_ids))
            .order_by(PostMedia.post_id, PostMedia.position)
        )
        for pid, sha in rows:
            out.setdefault(pid, []).append(sha)
    return out


async def _post_events(app: App, stage: str, posts: list[Post]) -> list[Event]:
    ids = [p.id for p in posts]
    if stage in ("vision", "tagging"):
        media = await _media(app, ids)
        return [
            PostParsed(
                post_id=p.id,
                channel_id=p.channel_id,
                message_id=p.message_id,
                date=p.date,
                trigger="reprocess",
                media_sha256=media.get(p.id, []),
                album_id=p.album_id,
                grouped_id=p.grouped_id,
                has_links=bool(p.links),
            )
            for p in posts
        ]
    if stage in ("retagging", "album_assembler_vision"):
        vision = await _kinds(app, ids, "vision")
        return [
            PostVisionAnalyzed(
                post_id=p.id,
                channel_id=p.channel_id,
                album_id=p.album_id,
                status=vision[p.id].status,
            )  # type: ignore[arg-type]
            for p in posts
            if p.id in vision
        ]
    if stage in ("tag_persistence", "crawl_trigger", "indexing"):
        tags = await _kinds(app, ids, "tags")
        return [
            PostTagged(
                post_id=p.id,
                channel_id=p.channel_id,
                trigger="reprocess",
                tags=list((tags[p.id].data or {}).get("tags") or []) if p.id in tags else [],
                provider=(tags[p.id].provider or "offline") if p.id in tags else "offline",
            )
            for p in posts
        ]
    if stage == "enrichment":
        policy = LinkPolicy.from_settings(app.settings)
        out: list[Event] = []
        for p in posts:
            urls = policy.select(list(p.links or []))
            if urls:
                out.append(PostCrawl(post_id=p.id, channel_id=p.channel_id, urls=urls))
        return out
    if stage == "indexing_enriched":
        crawl = await _kinds(app, ids, "crawl")
        return [PostEnriched(post_id=p.id, channel_id=p.channel_id) for p in posts if p.id in crawl]
    raise ReprocessError("channels.reprocess.not_per_post", stage=stage)


async def _album_events(app: App, sel: Selection) -> list[Event]:
    q = select(MediaGroup).order_by(MediaGroup.id)
    if sel.since is not None:
        q = q.where(MediaGroup.date >= sel.since)
    if sel.channel_id is not None:
        q = q.where(MediaGroup.channel_id == sel.channel_id)
    if sel.created_before is not None:
        q = q.where(MediaGroup.created_at < sel.created_before)
    if sel.limit is not None:
        q = q.limit(sel.limit)
    async with app.db.session() as session:
        groups = list(await session.scalars(q))
        members: dict[int, list[int]] = {}
        if groups:
            rows = await session.execute(
                select(MediaGroupItem.group_id, MediaGroupItem.post_id)
                .where(MediaGroupItem.group_id.in_([g.id for g in groups]))
                .order_by(MediaGroupItem.position)
            )
            for gid, pid in rows:
                members.setdefault(gid, []).append(pid)
    return [
        AlbumParsed(
            album_id=g.id,
            channel_id=g.channel_id,
            grouped_id=g.grouped_id,
            post_ids=members.get(g.id, []),
            items_count=len(members.get(g.id, [])),
            caption=g.caption,
        )
        for g in groups
        if members.get(g.id)
    ]


async def _publish_only_to(app: App, stage_names: str | set[str], events: list[Event]) -> None:
    """Publish `events` on the stream of `stage_names` (one stream); every other group reading
    that stream is told the events are done for it, so only the chosen stages run."""
    names = {stage_names} if isinstance(stage_names, str) else stage_names
    stage = next(s for s in STAGES if s.name in names)
    from tgassist.products import all_stages

    others = [
        s.group_name for s in all_stages() if s.stream == stage.stream and s.name not in names
    ]
    ttl = app.settings.idempotency_ttl_sec
    pipe = app.redis.pipeline(transaction=False)
    if events:
        for (
            group
        ) in others:  # the worker's own idempotency record: "this group processed these ids"
            current, _ = done_keys(group, ttl)
            pipe.sadd(current, *[ev.event_id for ev in events])
            pipe.expire(current, ttl + ttl // 2 + 1)
    for ev in events:
        pipe.xadd(stage.stream, ev.encode(), maxlen=app.settings.bus_maxlen, approximate=True)  # type: ignore[arg-type]
    await pipe.execute()


async def reprocess(
    app: App, stage: str, selection: Selection | None = None, progress: Progress | None = None
) -> int:
    """Publish new events so `stage` runs again for the selected posts (or albums); returns how many."""
    names = [s.name for s in STAGES]
    if stage not in names:
        raise ReprocessError(
            "channels.reprocess.unknown_stage", stage=stage, known=", ".join(names)
        )

    sel = selection or Selection()
    if stage == "album_assembler":
        events = await _album_events(app, sel)
        await _publish_only_to(app, stage, events)
        if progress:
            await _maybe(progress(len(events)))
        return len(events)
    total = 0
    async for posts in _posts(app, sel):
        events = await _post_events(app, stage, posts)
        await _publish_only_to(app, stage, events)
        total += len(events)
        if progress:
            await _maybe(progress(total))
    return total


async def _maybe(value: Any) -> None:
    if inspect.isawaitable(value):
        await value


async def _missing_for_posts(app: App, posts: list[Post], counts: dict[str, int]) -> None:
    ids = [p.id for p in posts]
    tags = await _kinds(app, ids, "tags")
    vision = await _kinds(app, ids, "vision")
    crawl = await _kinds(app, ids, "crawl")
    media = await _media(app, ids)
    parsed = await _post_events(app, "tagging", posts)
    by_groups: dict[frozenset[str], list[Event]] = {}
    for p, ev in zip(posts, parsed, strict=True):
        wanted = set()
        if p.id not in tags:
            wanted.add("tagging")  # its follow-ups (tags saved, crawl, index) come with it
        if (media.get(p.id) or p.album_id is not None) and p.id not in vision:
            wanted.add("vision")
        if wanted:
            by_groups.setdefault(frozenset(wanted), []).append(ev)
            for name in wanted:
                counts[name] = counts.get(name, 0) + 1
    for names, events in by_groups.items():
        await _publish_only_to(app, set(names), events)
    policy = LinkPolicy.from_settings(app.settings)
    crawls: list[Event] = []
    for p in posts:
        if p.id in tags and p.id not in crawl:
            urls = policy.select(list(p.links or []))
            if urls:
                crawls.append(PostCrawl(post_id=p.id, channel_id=p.channel_id, urls=urls))
    await _publish_only_to(app, "enrichment", crawls)
    counts["enrichment"] = counts.get("enrichment", 0) + len(crawls)


async def reprocess_missing(
    app: App, selection: Selection | None = None, progress: Progress | None = None
) -> dict[str, int]:
    """Re-queue every stage whose result is missing from the database: posts without tags or
    without vision results (when they have media), tagged posts whose links were never crawled,
    albums never assembled. Returns how many items each stage got."""
    sel = selection or Selection()
    counts: dict[str, int] = {}
    seen = 0
    async for posts in _posts(app, sel):
        await _missing_for_posts(app, posts, counts)
        seen += len(posts)
        if progress:
            await _maybe(progress(seen))
    album_events = [ev for ev in await _album_events(app, sel) if isinstance(ev, AlbumParsed)]
    unassembled = await _unassembled(app, [ev.album_id for ev in album_events])
    albums: list[Event] = [ev for ev in album_events if ev.album_id in unassembled]
    await _publish_only_to(app, "album_assembler", albums)
    counts["album_assembler"] = len(albums)
    return counts


async def _unassembled(app: App, album_ids: list[int]) -> set[int]:
    async with app.db.session() as session:
        groups = await session.scalars(select(MediaGroup).where(MediaGroup.id.in_(album_ids)))
        return {g.id for g in groups if not (g.meta or {}).get("enrichment")}


async def redrive_after_loss(app: App, before: datetime | None) -> int:
    """`Product.on_bus_loss`: re-queue missing work of posts older than the outbox rows that are
    re-sent anyway (all posts when none are kept)."""
    counts = await reprocess_missing(app, Selection(created_before=before))
    return sum(counts.values())
