"""Channel bookkeeping used by every front door: add, find, list, remove, subscribe, lock."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from tgassist.channels.models import Channel, MediaGroup, ParserRun, Post, Subscription
from tgassist.channels.sources.base import ChannelInfo
from tgassist.core.db import utcnow
from tgassist.core.errors import LocalizedError
from tgassist.core.i18n import Msg
from tgassist.core.lazy import lazy_exports
from tgassist.core.locks import OwnedLock

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)


class ChannelError(LocalizedError):
    """A channel request cannot be done (unknown channel, busy channel …): a key + params."""


class ChannelBusy(ChannelError):
    """Another process is parsing or importing this channel right now."""

    def __init__(self, channel_id: int) -> None:
        super().__init__("channels.busy", id=channel_id)


@dataclass(frozen=True)
class ChannelRef:
    """What a user typed to add a channel: an export folder to import, or a @username to follow."""

    kind: str  # "export" | "username"
    value: str


@dataclass(frozen=True)
class RunView:
    """One parse or import of a channel."""

    id: int
    source: str
    mode: str
    status: str
    started_at: str
    finished_at: str | None
    hwm_before: int | None
    hwm_after: int | None
    posts_new: int
    posts_edited: int
    posts_unchanged: int
    albums: int
    media: int
    skipped: int
    missing_media: int
    flood_waits: int
    errors: list[Any]  # as stored: reasons with the technical detail, for operators
    reasons: tuple[Msg, ...] = ()  # why it stopped, rendered by the door in its language


@dataclass(frozen=True)
class ChannelView:
    id: int
    username: str | None
    title: str | None
    telegram_id: int | None
    source: str
    status: str


@dataclass(frozen=True)
class ChannelSummary:
    """A channel with its post and album counts (for `tgassist channels list`)."""

    id: int
    username: str | None
    title: str | None
    telegram_id: int | None
    source: str
    status: str
    is_active: bool
    hwm: int
    posts: int
    albums: int
    last_parsed_at: str | None


def normalise_username(name: str) -> str:
    name = name.strip()
    for prefix in ("https://t.me/", "http://t.me/", "t.me/", "@"):
        if name.lower().startswith(prefix):
            name = name[len(prefix) :]
    return name.strip("/").lower()


async def ensure_channel(app: App, info: ChannelInfo, source: str) -> Channel:
    """The channel with this Telegram id or username, created when absent (title kept fresh)."""
    for _ in range(2):
        async with app.db.session() as session:
            channel = await _find(session, info)
            if channel is None:
                channel = Channel(
                    telegram_id=info.telegram_id,
                    username=info.username,
                    title=info.title,
                    source=source,
                )
                session.add(channel)
            else:
                channel.title = info.title or channel.title
                if channel.telegram_id is None or channel.telegram_id in info.legacy_ids:
                    channel.telegram_id = info.telegram_id  # the real id replaces an old encoding
                channel.username = channel.username or info.username
            try:
                await session.flush()
            except IntegrityError:  # created concurrently by another process: read it again
                await session.rollback()
                continue
            return channel
    raise ChannelError("channels.register_failed", ref=info.username or info.telegram_id)


async def _find(session: object, info: ChannelInfo) -> Channel | None:
    conds = []
    if info.telegram_id is not None:
        conds.append(Channel.telegram_id == info.telegram_id)
    if info.legacy_ids:  # stored by an import of an export from before 2021
        conds.append(Channel.telegram_id.in_(info.legacy_ids))
    if info.username:
        conds.append(Channel.username == info.username)
    for cond in conds:
        found = (await session.execute(select(Channel).where(cond))).scalar_one_or_none()  # type: ignore[attr-defined]
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None


async def get_channel(app: App, ref: str | int) -> Channel:
    """A channel by our id, its @username or its Telegram id; a clear error when unknown."""
    async with app.db.session() as session:
        text = str(ref).strip()
        query = select(Channel)
        if re.fullmatch(r"-?[0-9]+", text):
            n = int(text)
            # an id past 64 bits cannot exist (and would overflow the driver): not found
            query = query.where(
                (Channel.id == n) | (Channel.telegram_id == n)
                if -(2**63) < n < 2**63
                else Channel.id.is_(None)
            )
        else:
            query = query.where(Channel.username == normalise_username(text))
        found = (await session.execute(query)).scalars().first()
    if found is None:
        raise ChannelError("channels.not_found", ref=str(ref))
    return found


async def list_channels(app: App) -> list[ChannelSummary]:
    async with app.db.session() as session:
        posts = dict(
            (
                await session.execute(
                    select(Post.channel_id, func.count()).group_by(Post.channel_id)
                )
            ).all()
        )
        albums = dict(
            (
                await session.execute(
                    select(MediaGroup.channel_id, func.count()).group_by(MediaGroup.channel_id)
                )
            ).all()
        )
        channels = (await session.execute(select(Channel).order_by(Channel.id))).scalars().all()
    return [
        ChannelSummary(
            id=c.id,
            username=c.username,
            title=c.title,
            telegram_id=c.telegram_id,
            source=c.source,
            status=c.status,
            is_active=c.is_active,
            hwm=c.hwm,
            posts=int(posts.get(c.id, 0)),
            albums=int(albums.get(c.id, 0)),
            last_parsed_at=c.last_parsed_at.isoformat(timespec="seconds")
            if c.last_parsed_at
            else None,
        )
        for c in channels
    ]


async def remove_channel(app: App, ref: str | int) -> ChannelView:
    """Delete a channel with its posts, albums and runs; forget its Redis state."""
    channel = await get_channel(app, ref)
    async with channel_lock(app, channel.id):
        async with app.db.session() as session:
            row = await session.get(Channel, channel.id)
            if row is not None:
                await session.delete(row)
        keys = [
            k async for k in app.redis.scan_iter(match=f"album_seen:{channel.id}:*", count=1000)
        ]
        keys.append(f"parser:hwm:{channel.id}")
        await app.redis.delete(*keys)
    return view_of(channel)


async def adopt_duplicate(app: App, channel_id: int, info: ChannelInfo) -> int | None:
    """A channel added by @name that turns out to be one already imported from an export.

    When the @name row is still empty it is folded into the existing one (which takes the username
    and becomes a live channel, posts kept); returns the surviving id. Otherwise None.
    """
    if info.telegram_id is None:
        return None
    async with app.db.session() as session:
        other = (
            await session.execute(
                select(Channel).where(
                    Channel.telegram_id == info.telegram_id, Channel.id != channel_id
                )
            )
        ).scalar_one_or_none()
        if other is None:
            return None
        posts = await session.scalar(
            select(func.count()).select_from(Post).where(Post.channel_id == channel_id)
        )
        live = await session.get(Channel, channel_id)
        if posts or live is None:
            return None
        username = live.username
        await session.execute(
            update(Subscription)
            .where(
                Subscription.channel_id == channel_id,
                Subscription.user_id.not_in(
                    select(Subscription.user_id).where(Subscription.channel_id == other.id)
                ),
            )
            .values(channel_id=other.id)
        )
        await session.delete(live)
        await session.flush()
        other.username, other.source, other.is_active = username or other.username, "telegram", True
        other.title = info.title or other.title
        return other.id


async def subscribe(app: App, user_id: int, channel_id: int) -> None:
    """Subscribe a user (our users.id) to a channel; idempotent."""
    async with app.db.session() as session:
        found = await session.scalar(
            select(Subscription.id).where(
                Subscription.user_id == user_id, Subscription.channel_id == channel_id
            )
        )
        if found is None:
            session.add(Subscription(user_id=user_id, channel_id=channel_id))


@asynccontextmanager
async def channel_lock(app: App, channel_id: int) -> AsyncIterator[None]:
    """The per-channel lock shared by the parser and imports; `ChannelBusy` when taken.

    An owned lock with a short TTL renewed while the holder lives: a killed import or parser
    frees it at once on this host (its pid is gone) and within TGASSIST_LOCK_TTL_SEC elsewhere.
    Runs a dead holder left "running" are closed as soon as the lock is taken.
    """
    lock = OwnedLock(app.redis, f"lock:channel:{channel_id}", ttl=app.settings.lock_ttl_sec)
    if not await lock.acquire():
        raise ChannelBusy(channel_id)
    try:
        await close_orphaned_runs(app, channel_id)
        yield
    finally:
        await lock.release()


async def close_orphaned_runs(app: App, channel_id: int | None = None) -> int:
    """Close runs left "running" by a process that died (their channel's lock is free, or held
    by the caller); returns how many. Channels left "parsing" go back to `error`."""
    from tgassist.channels.models import STATUS_ERROR, STATUS_PARSING, ParserRun
    from tgassist.channels.parse_errors import INTERRUPTED, columns, run_note

    async with app.db.session() as session:
        q = select(ParserRun.id, ParserRun.channel_id).where(ParserRun.status == "running")
        if channel_id is not None:
            q = q.where(ParserRun.channel_id == channel_id)
        rows = (await session.execute(q)).all()
    if channel_id is None:  # at start: only runs whose channel nobody holds
        held = {
            cid
            for cid in {r.channel_id for r in rows if r.channel_id is not None}
            if await app.redis.exists(f"lock:channel:{cid}")
        }
        rows = [r for r in rows if r.channel_id not in held]
    if not rows:
        return 0
    detail = "interrupted: the process running it stopped before it finished"
    note = run_note(Msg(INTERRUPTED), detail)
    async with app.db.session() as session:
        for r in rows:
            run = await session.get(ParserRun, r.id)
            if run is not None and run.status == "running":
                run.status, run.finished_at = "failed", utcnow()
                run.errors = [*(run.errors or []), note]
        channels = {r.channel_id for r in rows if r.channel_id is not None}
        await session.execute(
            update(Channel)
            .where(Channel.id.in_(channels), Channel.status == STATUS_PARSING)
            .values(status=STATUS_ERROR, **columns(Msg(INTERRUPTED), detail))
        )
    log.warning("closed runs left running by a dead process", runs=len(rows))
    return len(rows)


def view_of(c: Channel) -> ChannelView:
    return ChannelView(c.id, c.username, c.title, c.telegram_id, c.source, c.status)


def resolve_ref(ref: str) -> ChannelRef:
    """The add-channel decision: an existing export folder (or result.json) is imported; a
    @username / t.me link is followed live; anything else is refused with a clear answer."""
    text = ref.strip()
    if text and Path(text).expanduser().exists():
        return ChannelRef("export", str(Path(text).expanduser()))
    name = normalise_username(text)
    if not name or not name.replace("_", "").isalnum() or len(name) > 64:
        raise ChannelError("channels.ref_invalid", ref=ref)
    return ChannelRef("username", name)


async def add_by_username(app: App, name: str) -> ChannelView:
    """Register a channel to be parsed live (Telethon) on the next parser tick.

    Live parsing needs Telegram API credentials: without them the channel would sit "new"
    forever, so nothing is added and the error says how to import an export instead.
    """
    from tgassist.channels.login import telegram_configured

    if not telegram_configured(app.settings):
        raise ChannelError("channels_import.add.needs_credentials", name=name)
    channel = await ensure_channel(
        app, ChannelInfo(telegram_id=None, username=name, title=None), source="telegram"
    )
    return view_of(channel)


async def channel_runs(app: App, ref: str | int, limit: int = 20) -> list[RunView]:
    """The latest parses/imports of a channel, newest first."""
    from tgassist.channels.parse_errors import note_reason

    channel = await get_channel(app, ref)
    async with app.db.session() as session:
        runs = (
            await session.scalars(
                select(ParserRun)
                .where(ParserRun.channel_id == channel.id)
                .order_by(ParserRun.id.desc())
                .limit(max(1, min(limit, 200)))
            )
        ).all()
        return [
            RunView(
                id=r.id,
                source=r.source,
                mode=r.mode,
                status=r.status,
                started_at=r.started_at.isoformat(),
                finished_at=r.finished_at.isoformat() if r.finished_at else None,
                hwm_before=r.hwm_before,
                hwm_after=r.hwm_after,
                posts_new=r.posts_new,
                posts_edited=r.posts_edited,
                posts_unchanged=r.posts_unchanged,
                albums=r.albums,
                media=r.media,
                skipped=r.skipped,
                missing_media=r.missing_media,
                flood_waits=r.flood_waits,
                errors=r.errors,
                reasons=tuple(note_reason(n) for n in r.errors or []),
            )
            for r in runs
        ]


# Long operations a door starts and watches (kept apart: this module is the bookkeeping).
from tgassist.channels.operations import (  # noqa: E402
    IMPORT_TASK,
    REPROCESS_TASK,
    PipelineStatus,
    pipeline_status,
    requeue_missing,
    run_import,
    run_reprocess,
    start_import,
    start_reprocess,
)

__all__ = [
    "IMPORT_TASK",
    "REPROCESS_TASK",
    "ChannelBusy",
    "ChannelError",
    "ChannelRef",
    "ChannelSummary",
    "ChannelView",
    "PipelineStatus",
    "RunView",
    "add_by_username",
    "adopt_duplicate",
    "channel_lock",
    "channel_runs",
    "close_orphaned_runs",
    "ensure_channel",
    "get_channel",
    "list_channels",
    "normalise_username",
    "pipeline_status",
    "remove_channel",
    "requeue_missing",
    "resolve_ref",
    "run_import",
    "run_reprocess",
    "start_import",
    "start_reprocess",
    "subscribe",
]


# What doors use from the product's other modules, offered here so that a door imports the
# service alone (loaded on first use: several of those modules import this one).
__getattr__ = lazy_exports(
    __name__,
    {
        "tgassist.channels.follows": "follow followed_channel my_channels unfollow",
        "tgassist.channels.stats": "channel_rows posts_hourly posts_today",
        "tgassist.channels.parser": "parse_now",
        "tgassist.channels.login": "interactive_login",
        "tgassist.channels.retention": "apply_retention",
        "tgassist.channels.reader": "ask_question change_digest_settings chart_png "
        "choose_topics digest_preview digest_settings feedback missed_posts recent_digests "
        "search_posts send_digest_now similar_posts storage_usage trends",
    },
)

if TYPE_CHECKING:  # the names above, for type checkers
    from tgassist.channels.follows import (  # noqa: F401
        follow,
        followed_channel,
        my_channels,
        unfollow,
    )
    from tgassist.channels.login import interactive_login  # noqa: F401
    from tgassist.channels.parser import parse_now  # noqa: F401
    from tgassist.channels.reader import (  # noqa: F401
        ask_question,
        change_digest_settings,
        chart_png,
        choose_topics,
        digest_preview,
        digest_settings,
        feedback,
        missed_posts,
        recent_digests,
        search_posts,
        send_digest_now,
        similar_posts,
        storage_usage,
        trends,
    )
    from tgassist.channels.retention import apply_retention  # noqa: F401
    from tgassist.channels.stats import channel_rows, posts_hourly, posts_today  # noqa: F401
