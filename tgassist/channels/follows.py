"""Per-user follows of channels, as the bot offers them: follow by @username, a t.me link or a
forwarded post; "my channels" pages with each channel's status; unfollow.

A channel is shared by every follower; unfollowing removes the user's subscription only (the
channel, its posts and its parsing stay for the others and are removed from the CLI).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from tgassist.channels.models import Channel, Post, Subscription
from tgassist.channels.parse_errors import stored_reason
from tgassist.channels.sources.base import ChannelInfo
from tgassist.core.errors import LocalizedError
from tgassist.core.i18n import Msg

if TYPE_CHECKING:
    from tgassist.app import App

PAGE_SIZE = 5
MAX_FOLLOWS = 100
# Telegram's public username rule: 5-32 characters, letters, digits and underscores, a letter first.
_USERNAME = re.compile(r"^[a-z][a-z0-9_]{3,30}[a-z0-9]$")
_LINK = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/(?:s/)?([^/?#\s]+)(?:/\d+)?/?(?:[?#].*)?$", re.I
)


@dataclass(frozen=True)
class FollowedChannel:
    """A channel the user follows, with what the parser has done with it."""

    id: int
    username: str | None
    title: str | None
    status: str
    is_active: bool
    posts: int
    last_parsed_at: datetime | None
    error: Msg | None  # why the last parse stopped (a message key), None when it did not
    followed_at: datetime

    @property
    def label(self) -> str:
        return self.title or (f"@{self.username}" if self.username else f"#{self.id}")


@dataclass(frozen=True)
class FollowResult:
    channel: FollowedChannel
    created: bool  # False: the user followed it already


@dataclass(frozen=True)
class ChannelsPage:
    items: tuple[FollowedChannel, ...]
    page: int
    pages: int
    total: int


def parse_channel_ref(text: str) -> str:
    """The lowercase @username in '@name', 'name', 't.me/name', 'https://t.me/name/123' or
    't.me/s/name'; LocalizedError saying what to send otherwise (private invite links too)."""
    raw = (text or "").strip()
    if not raw:
        raise LocalizedError("channels.follow.empty")
    if len(raw) > 200:
        raise LocalizedError("channels.follow.bad_ref", value=raw[:40] + "…")
    if re.search(r"(?:t|telegram)\.me/(?:\+|joinchat/)", raw, re.I):
        raise LocalizedError("channels.follow.private_link")
    m = _LINK.match(raw)
    name = m.group(1) if m else raw.removeprefix("@")
    if name.startswith("+") or name.lower() in ("joinchat", "c"):
        raise LocalizedError("channels.follow.private_link")
    name = name.lower()
    if not _USERNAME.match(name) or "__" in name:
        raise LocalizedError("channels.follow.bad_ref", value=raw[:40])
    return name


async def _followed(
    app: App, user_id: int, channel_ids: list[int] | None = None
) -> list[FollowedChannel]:
    async with app.db.session() as s:
        q = (
            select(Channel, Subscription.created_at)
            .join(Subscription, Subscription.channel_id == Channel.id)
            .where(Subscription.user_id == user_id)
        )
        if channel_ids is not None:
            q = q.where(Channel.id.in_(channel_ids))
        rows = (
            await s.execute(q.order_by(Subscription.created_at.desc(), Channel.id.desc()))
        ).all()
        ids = [c.id for c, _ in rows]
        posts = (
            dict(
                (
                    await s.execute(
                        select(Post.channel_id, func.count())
                        .where(Post.channel_id.in_(ids))
                        .group_by(Post.channel_id)
                    )
                ).all()
            )
            if ids
            else {}
        )
    return [
        FollowedChannel(
            id=c.id,
            username=c.username,
            title=c.title,
            status=c.status,
            is_active=c.is_active,
            posts=int(posts.get(c.id, 0)),
            last_parsed_at=c.last_parsed_at,
            error=stored_reason(c.error_key, c.error_params, c.last_error),
            followed_at=at,
        )
        for c, at in rows
    ]


async def follow(
    app: App,
    user_id: int,
    *,
    username: str | None = None,
    telegram_id: int | None = None,
    title: str | None = None,
) -> FollowResult:
    """Follow a channel by username (typed or a link) or by a forwarded post's channel.

    The channel is registered for live parsing when new; following it twice changes nothing.
    """
    from tgassist.channels.service import ensure_channel

    if username is None and telegram_id is None:
        raise LocalizedError("channels.follow.forward_hidden")
    name = parse_channel_ref(username) if username else None
    async with app.db.session() as s:
        count = await s.scalar(
            select(func.count()).select_from(Subscription).where(Subscription.user_id == user_id)
        )
    channel = await ensure_channel(app, ChannelInfo(telegram_id, name, title), source="telegram")
    created = False
    async with app.db.session() as s:
        found = await s.scalar(
            select(Subscription.id).where(
                Subscription.user_id == user_id, Subscription.channel_id == channel.id
            )
        )
        if found is None:
            if (count or 0) >= MAX_FOLLOWS:
                raise LocalizedError("channels.follow.limit", limit=MAX_FOLLOWS)
            s.add(Subscription(user_id=user_id, channel_id=channel.id))
            try:
                await s.flush()
                created = True
            except IntegrityError:  # the same follow from a double tap: it exists now
                await s.rollback()
    app.outbox.kick()
    (view,) = await _followed(app, user_id, [channel.id])
    return FollowResult(view, created)


async def my_channels(
    app: App, user_id: int, *, page: int = 0, per_page: int = PAGE_SIZE
) -> ChannelsPage:
    """Page `page` (0-based, clamped) of the channels the user follows, newest follow first."""
    allc = await _followed(app, user_id)
    pages = max(1, -(-len(allc) // per_page))
    page = min(max(0, page), pages - 1)
    return ChannelsPage(
        tuple(allc[page * per_page : (page + 1) * per_page]), page, pages, len(allc)
    )


async def followed_channel(app: App, user_id: int, channel_id: int) -> FollowedChannel:
    """One followed channel's status; a channel the user does not follow is not found."""
    found = await _followed(app, user_id, [channel_id])
    if not found:
        raise LocalizedError("channels.follow.not_followed", id=channel_id)
    return found[0]


async def unfollow(app: App, user_id: int, channel_id: int) -> FollowedChannel:
    """Stop following; the channel itself stays for its other followers."""
    channel = await followed_channel(app, user_id, channel_id)
    async with app.db.session() as s:
        await s.execute(
            delete(Subscription).where(
                Subscription.user_id == user_id, Subscription.channel_id == channel_id
            )
        )
    return channel
