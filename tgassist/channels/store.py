"""Save a batch of messages atomically: posts, media, albums, the channel's HWM and outbox events.

One transaction per batch. Posts are upserted by `(channel_id, message_id)`: new ones announce
`posts.parsed` (trigger new), changed content (`content_hash`) announces trigger edit, and
unchanged re-ingest writes nothing but changed counters and announces nothing. Media are upserted
by sha256 with a reference count. Albums are upserted by `(channel_id, grouped_id)`; the Redis
cache `album_seen:{channel}:{grouped_id}` (value: album id) spares the lookup, the unique key keeps
an album that spans two batches one album. `albums.parsed` goes out when an album gains items or
its caption changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tgassist.channels.events import ALBUMS_PARSED, POSTS_PARSED, AlbumParsed, PostParsed
from tgassist.channels.models import (
    Channel,
    MediaGroup,
    MediaGroupItem,
    MediaObject,
    Post,
    PostMedia,
)
from tgassist.channels.parser_metrics import ALBUMS_PARSED as ALBUMS_SAVED
from tgassist.channels.parser_metrics import POSTS_PARSED as POSTS_SAVED
from tgassist.channels.sources.base import RawMessage
from tgassist.core.events import Event
from tgassist.core.models import OutboxRow

if TYPE_CHECKING:
    from tgassist.app import App

CHUNK = 900  # ids per IN (…) list
# Core tables: bulk statements without the ORM's per-row bookkeeping (the import benchmark's hot path)
POSTS, OUTBOX = cast(Table, Post.__table__), cast(Table, OutboxRow.__table__)
GROUPS, ITEMS = cast(Table, MediaGroup.__table__), cast(Table, MediaGroupItem.__table__)
MEDIA, POST_MEDIA = cast(Table, MediaObject.__table__), cast(Table, PostMedia.__table__)
# Changes saved without announcing an edit (a re-import in the right time zone corrects `date`).
SILENT = (
    "views",
    "forwards",
    "replies",
    "reactions",
    "reactions_count",
    "edit_date",
    "author",
    "date",
)


@dataclass
class BatchResult:
    """What one saved batch changed."""

    new: int = 0
    edited: int = 0
    unchanged: int = 0
    albums: int = 0  # albums created or updated (announced)
    media_new: int = 0
    missing_media: int = 0
    hwm: int = 0
    events: int = 0  # outbox rows written (posts.parsed + albums.parsed)
    post_ids: dict[int, int] = field(default_factory=dict)  # message id → post id


async def add_events(session: AsyncSession, items: Sequence[tuple[str, Event]]) -> None:
    """`core.outbox.add_event` for many events in one executemany (same columns, same transaction)."""
    if items:
        await session.execute(
            insert(OUTBOX),
            [
                {
                    "event_id": ev.event_id,
                    "stream": stream,
                    "event_type": ev.TYPE,
                    "schema_version": ev.schema_version,
                    "payload": ev.model_dump_json(),
                    "attempts": 0,
                }
                for stream, ev in items
            ],
        )


def album_key(channel_id: int, grouped_id: int) -> str:
    return f"album_seen:{channel_id}:{grouped_id}"


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def _row(channel_id: int, msg: RawMessage) -> dict[str, Any]:
    return {
        "channel_id": channel_id,
        "message_id": msg.message_id,
        "date": msg.date,
        "edit_date": msg.edit_date,
        "text": msg.text,
        "entities": msg.entities,
        "author": msg.author,
        "views": msg.views,
        "forwards": msg.forwards,
        "replies": msg.replies,
        "reactions_count": msg.reactions_count,
        "reactions": msg.reactions,
        "forward_from": msg.forward_from,
        "forward_from_id": msg.forward_from_id,
        "reply_to_message_id": msg.reply_to_message_id,
        "grouped_id": msg.grouped_id,
        "links": msg.links,
        "media_kind": msg.media_kind,
        "media_missing": [m.describe() for m in msg.media if m.missing],
        "content_hash": msg.content_hash(),
    }


async def save_batch(
    app: App, channel_id: int, messages: Sequence[RawMessage], hwm: int | None = None
) -> BatchResult:
    """Save `messages` (media already stored, see `media.store_media`) in one transaction.

    `hwm`: when given, the channel's DB high-water mark is raised to it in the same transaction.
    """
    result = BatchResult(hwm=max((m.message_id for m in messages), default=0))
    result.missing_media = sum(1 for m in messages for media in m.media if media.missing)
    if not messages:
        return result
    by_id = {m.message_id: m for m in messages}  # a repeated id in one batch: the last one wins
    messages = sorted(by_id.values(), key=lambda m: m.message_id)
    albums_cached = await _cached_albums(app, channel_id, messages)
    try:
        result = await _save(app, channel_id, messages, hwm, result, albums_cached)
    except IntegrityError:
        if not albums_cached:
            raise
        # A cached album id the DB no longer has (restored DB, reused ids): forget the cache, retry once.
        await app.redis.delete(*[album_key(channel_id, g) for g in albums_cached])
        result = await _save(app, channel_id, messages, hwm, result, {})
    # Counted here, once per committed batch, whoever saved it (parser, import, benchmark).
    POSTS_SAVED.labels("new").inc(result.new)
    POSTS_SAVED.labels("edit").inc(result.edited)
    ALBUMS_SAVED.inc(result.albums)
    return result


async def _save(
    app: App,
    channel_id: int,
    messages: list[RawMessage],
    hwm: int | None,
    result: BatchResult,
    albums_cached: dict[int, int],
) -> BatchResult:
    by_id = {m.message_id: m for m in messages}
    async with app.db.session() as session:
        existing = await _existing_posts(session, channel_id, list(by_id))
        albums = await _ensure_albums(session, channel_id, messages, albums_cached)
        media_ids, result.media_new = await _ensure_media(session, messages)
        new_rows, edits, silent = [], [], []
        for msg in messages:
            row = _row(channel_id, msg)
            row["album_id"] = albums.get(msg.grouped_id) if msg.grouped_id is not None else None
            old = existing.get(msg.message_id)
            if old is None:
                new_rows.append(row)
            elif old["content_hash"] != row["content_hash"] or old["album_id"] != row["album_id"]:
                edits.append((old, row))
            elif any(old[k] != row[k] for k in SILENT):
                silent.append({"id": old["id"], **{k: row[k] for k in SILENT}})
        post_ids = {mid: e["id"] for mid, e in existing.items()}
        if new_rows:
            for chunk in _chunks(new_rows):
                res = await session.execute(
                    insert(POSTS).returning(POSTS.c.id, POSTS.c.message_id), list(chunk)
                )
                post_ids.update({r.message_id: r.id for r in res})
        if edits:
            await session.execute(update(Post), [{"id": old["id"], **row} for old, row in edits])
        if silent:
            await session.execute(update(Post), silent)
        new_ids = {post_ids[r["message_id"]] for r in new_rows}
        edited_ids = {old["id"] for old, row in edits if old["content_hash"] != row["content_hash"]}
        await _link_media(session, messages, post_ids, media_ids, new_ids, edited_ids)
        touched = await _link_albums(
            session, messages, post_ids, albums, existing, new_ids | edited_ids
        )
        events: list[tuple[str, Event]] = []
        for msg in messages:
            pid = post_ids[msg.message_id]
            if pid in new_ids or pid in edited_ids:
                events.append(
                    (
                        POSTS_PARSED,
                        PostParsed(
                            post_id=pid,
                            channel_id=channel_id,
                            message_id=msg.message_id,
                            date=msg.date,
                            trigger="new" if pid in new_ids else "edit",
                            media_sha256=[m.sha256 for m in msg.media if m.sha256],
                            album_id=albums.get(msg.grouped_id)
                            if msg.grouped_id is not None
                            else None,
                            grouped_id=msg.grouped_id,
                            has_links=bool(msg.links),
                        ),
                    )
                )
        events.extend((ALBUMS_PARSED, album) for album in touched)
        await add_events(session, events)
        result.events = len(events)
        if hwm is not None:
            await session.execute(
                update(Channel).where(Channel.id == channel_id, Channel.hwm < hwm).values(hwm=hwm)
            )
    result.new, result.edited = len(new_ids), len(edited_ids)
    result.unchanged = len(messages) - result.new - result.edited
    result.albums = len(touched)
    result.post_ids = post_ids
    await _remember_albums(app, channel_id, albums, albums_cached)
    app.outbox.kick()
    return result


async def _existing_posts(
    session: AsyncSession, channel_id: int, message_ids: list[int]
) -> dict[int, dict[str, Any]]:
    cols = (Post.id, Post.message_id, Post.content_hash, Post.album_id) + tuple(
        getattr(Post, k) for k in SILENT
    )
    # One range scan of the unique (channel_id, message_id) index: batches are runs of ascending ids,
    # and a long IN (…) list gets a poor generic plan on PostgreSQL.
    wanted = set(message_ids)
    rows = await session.execute(
        select(*cols).where(
            Post.channel_id == channel_id, Post.message_id.between(min(wanted), max(wanted))
        )
    )
    return {r.message_id: dict(r._mapping) for r in rows if r.message_id in wanted}


async def _cached_albums(
    app: App, channel_id: int, messages: Sequence[RawMessage]
) -> dict[int, int]:
    gids = sorted({m.grouped_id for m in messages if m.grouped_id is not None})
    if not gids:
        return {}
    values = await app.redis.mget([album_key(channel_id, g) for g in gids])
    return {g: int(v) for g, v in zip(gids, values, strict=True) if v is not None}


async def _remember_albums(
    app: App, channel_id: int, albums: dict[int, int], cached: dict[int, int]
) -> None:
    fresh = {g: a for g, a in albums.items() if g not in cached}
    if fresh:
        pipe = app.redis.pipeline(transaction=False)
        for gid, album_id in fresh.items():
            pipe.set(album_key(channel_id, gid), album_id, ex=app.settings.album_seen_ttl_sec)
        await pipe.execute()


async def _ensure_albums(
    session: AsyncSession, channel_id: int, messages: Sequence[RawMessage], cached: dict[int, int]
) -> dict[int, int]:
    """grouped_id → album id: from the Redis cache, else the DB, else a new row."""
    first: dict[int, RawMessage] = {}
    for m in messages:
        if m.grouped_id is not None and m.grouped_id not in first:
            first[m.grouped_id] = m
    albums = {g: a for g, a in cached.items() if g in first}
    unknown = [g for g in first if g not in albums]
    for chunk in _chunks(unknown):
        rows = await session.execute(
            select(MediaGroup.id, MediaGroup.grouped_id).where(
                MediaGroup.channel_id == channel_id, MediaGroup.grouped_id.in_(chunk)
            )
        )
        albums.update({r.grouped_id: r.id for r in rows})
    missing = [g for g in unknown if g not in albums]
    if missing:
        rows = await session.execute(
            insert(GROUPS).returning(GROUPS.c.id, GROUPS.c.grouped_id),
            [
                {
                    "channel_id": channel_id,
                    "grouped_id": g,
                    "items_count": 0,
                    "date": first[g].date,
                    "meta": {},
                }
                for g in missing
            ],
        )
        albums.update({r.grouped_id: r.id for r in rows})
    return albums


async def _ensure_media(
    session: AsyncSession, messages: Sequence[RawMessage]
) -> tuple[dict[str, int], int]:
    """sha256 → media object id, inserting unknown media (ref counts are set by `_link_media`)."""
    stored = {m.sha256: m for msg in messages for m in msg.media if m.sha256}
    ids: dict[str, int] = {}
    for chunk in _chunks(list(stored)):
        rows = await session.execute(
            select(MediaObject.id, MediaObject.sha256).where(MediaObject.sha256.in_(chunk))
        )
        ids.update({r.sha256: r.id for r in rows})
    # a file that storage retention purged and a new post brings back gets its blob again
    back = [(ids[sha], m.blob_key) for sha, m in stored.items() if sha in ids and m.blob_key]
    if back:
        await session.execute(
            update(MEDIA)
            .where(MEDIA.c.id == bindparam("mid"), MEDIA.c.blob_key.is_(None))
            .values(blob_key=bindparam("key")),
            [{"mid": mid, "key": key} for mid, key in back],
        )
    new = [m for sha, m in stored.items() if sha not in ids]
    if new:
        rows = await session.execute(
            insert(MEDIA).returning(MEDIA.c.id, MEDIA.c.sha256),
            [
                {
                    "sha256": m.sha256,
                    "kind": m.kind,
                    "mime": m.mime,
                    "size": m.size or 0,
                    "width": m.width,
                    "height": m.height,
                    "duration": m.duration,
                    "blob_key": m.blob_key,
                    "ref_count": 0,
                }
                for m in new
            ],
        )
        ids.update({r.sha256: r.id for r in rows})
    return ids, len(new)


async def _link_media(
    session: AsyncSession,
    messages: Sequence[RawMessage],
    post_ids: dict[int, int],
    media_ids: dict[str, int],
    new_ids: set[int],
    edited_ids: set[int],
) -> None:
    """post_media rows for new posts; edited posts get theirs replaced. Ref counts follow."""
    delta: dict[int, int] = defaultdict(int)
    if edited_ids:
        for chunk in _chunks(sorted(edited_ids)):
            old = await session.execute(
                select(PostMedia.media_id).where(PostMedia.post_id.in_(chunk))
            )
            for (mid,) in old:
                delta[mid] -= 1
            await session.execute(delete(PostMedia).where(PostMedia.post_id.in_(chunk)))
    links = []
    for msg in messages:
        pid = post_ids[msg.message_id]
        if pid not in new_ids and pid not in edited_ids:
            continue
        for pos, media in enumerate(msg.media):
            if media.sha256:
                links.append({"post_id": pid, "media_id": media_ids[media.sha256], "position": pos})
                delta[media_ids[media.sha256]] += 1
    if links:
        await session.execute(insert(POST_MEDIA), links)
    changes = [{"b_id": mid, "b_n": n} for mid, n in delta.items() if n]
    if changes:
        await session.execute(
            update(MEDIA)
            .where(MEDIA.c.id == bindparam("b_id"))
            .values(ref_count=MEDIA.c.ref_count + bindparam("b_n")),
            changes,
        )


async def _link_albums(
    session: AsyncSession,
    messages: Sequence[RawMessage],
    post_ids: dict[int, int],
    albums: dict[int, int],
    existing: dict[int, dict[str, Any]],
    changed_ids: set[int],
) -> list[AlbumParsed]:
    """Add this batch's posts to their albums; return an `albums.parsed` event per changed album."""
    items: list[dict[str, Any]] = []
    touched: set[int] = set()
    captions: dict[int, str] = {}
    for msg in messages:
        if msg.grouped_id is None:
            continue
        album_id, pid = albums[msg.grouped_id], post_ids[msg.message_id]
        old = existing.get(msg.message_id)
        if old is None or old["album_id"] != album_id:
            items.append({"group_id": album_id, "post_id": pid, "moved": old is not None})
            touched.add(album_id)
        if msg.text and pid in changed_ids and album_id not in captions:
            captions[album_id] = msg.text  # the caption sits on the album's first captioned message
            touched.add(album_id)
    if not touched:
        return []
    if items:
        moved = [i["post_id"] for i in items if i["moved"]]
        for chunk in _chunks(moved):  # a post re-grouped into another album leaves the old one
            await session.execute(delete(MediaGroupItem).where(MediaGroupItem.post_id.in_(chunk)))
        await session.execute(
            insert(ITEMS),
            [{"group_id": i["group_id"], "post_id": i["post_id"], "position": 0} for i in items],
        )
    members: dict[int, list[tuple[int, int, int]]] = defaultdict(
        list
    )  # album → (message id, post id, item id)
    for chunk in _chunks(sorted(touched)):
        rows = await session.execute(
            select(
                MediaGroupItem.id, MediaGroupItem.group_id, MediaGroupItem.post_id, Post.message_id
            )
            .join(Post, Post.id == MediaGroupItem.post_id)
            .where(MediaGroupItem.group_id.in_(chunk))
        )
        for r in rows:
            members[r.group_id].append((r.message_id, r.post_id, r.id))
    positions, counts, events = [], [], []
    grouped = {a: g for g, a in albums.items()}
    for album_id in sorted(touched):
        ordered = sorted(members[album_id])
        positions += [
            {"b_id": item_id, "b_pos": pos} for pos, (_, _, item_id) in enumerate(ordered)
        ]
        counts.append({"b_id": album_id, "b_n": len(ordered)})
        events.append((album_id, [pid for _, pid, _ in ordered]))
    ti, tg = ITEMS, GROUPS
    await session.execute(
        update(ti).where(ti.c.id == bindparam("b_id")).values(position=bindparam("b_pos")),
        positions,
    )
    await session.execute(
        update(tg).where(tg.c.id == bindparam("b_id")).values(items_count=bindparam("b_n")), counts
    )
    if captions:
        await session.execute(
            update(tg).where(tg.c.id == bindparam("b_id")).values(caption=bindparam("b_cap")),
            [{"b_id": a, "b_cap": c} for a, c in captions.items()],
        )
    rows = await session.execute(
        select(MediaGroup.id, MediaGroup.channel_id, MediaGroup.caption).where(
            MediaGroup.id.in_(sorted(touched))
        )
    )
    meta = {r.id: r for r in rows}
    return [
        AlbumParsed(
            album_id=a,
            channel_id=meta[a].channel_id,
            grouped_id=grouped[a],
            post_ids=pids,
            items_count=len(pids),
            caption=meta[a].caption,
        )
        for a, pids in events
    ]
