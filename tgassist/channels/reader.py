"""The reader service: the one door into search, ask, digests, trends, interests and storage.

Bot, API and CLI call these functions and render the views they return. A request made for a user
(a Telegram id) covers the channels that user follows; one without a user (the CLI, the admin
API) covers every channel.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tgassist.channels.ask import Answer, ask
from tgassist.channels.digest_rank import DigestItem
from tgassist.channels.digests import (
    DigestSettingsView,
    DigestView,
    build_digest,
    digest_now,
    get_settings,
    last_digests,
    update_settings,
)
from tgassist.channels.interests import Profile, record_feedback, set_topics
from tgassist.channels.read_errors import ReadError, render
from tgassist.channels.recommend import more_like_this, you_may_have_missed
from tgassist.channels.scope import followed_channel_ids, resolve_channels
from tgassist.channels.search import SearchHit, SearchQuery, SearchResult, search
from tgassist.channels.storage import StorageUsage, usage
from tgassist.channels.trends import Trend, chart_png, find_trends
from tgassist.core.models import User

if TYPE_CHECKING:
    from tgassist.app import App


def parse_when(value: str | datetime | None, *, end_of_day: bool = False) -> datetime | None:
    """A date or date-time (ISO; naive = UTC); a bare date as `until` means the end of that day."""
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
    text = value.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise ReadError("search.date_invalid", value=text) from err
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if end_of_day and len(text) == 10:
        when = when.replace(hour=23, minute=59, second=59)
    return when


async def user_id_of(app: App, telegram_id: int) -> int:
    async with app.db.session() as session:
        found = await session.scalar(select(User.id).where(User.telegram_id == telegram_id))
    if found is None:
        raise ReadError("search.user_unknown", telegram_id=telegram_id)
    return int(found)


async def scope_of(
    app: App, telegram_id: int | None, channels: list[str] | tuple[str, ...]
) -> tuple[int, ...] | None:
    """Channel ids a request covers; a user who follows nothing gets a clear error."""
    allowed: tuple[int, ...] | None = None
    if telegram_id is not None:
        allowed = await followed_channel_ids(app, await user_id_of(app, telegram_id))
        if not allowed:
            raise ReadError("search.no_channels")
    return await resolve_channels(app, list(channels), allowed)


async def search_posts(
    app: App,
    text: str,
    *,
    telegram_id: int | None = None,
    channels: list[str] | tuple[str, ...] = (),
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    tags: tuple[str, ...] = (),
    limit: int = 10,
    offset: int = 0,
) -> SearchResult:
    scope = await scope_of(app, telegram_id, channels)
    return await search(
        app,
        SearchQuery(
            text,
            channel_ids=scope,
            since=parse_when(since),
            until=parse_when(until, end_of_day=True),
            tags=tags,
            limit=limit,
            offset=offset,
        ),
    )


async def ask_question(
    app: App,
    question: str,
    *,
    telegram_id: int | None = None,
    channels: list[str] | tuple[str, ...] = (),
) -> Answer:
    scope = await scope_of(app, telegram_id, channels)
    return await ask(app, question, channel_ids=scope)


async def trends(
    app: App,
    *,
    until: str | datetime | None = None,
    window_hours: int | None = None,
    baseline_days: int | None = None,
) -> list[Trend]:
    """Emerging trends of the window ending `until` (default now), best first."""
    return await find_trends(
        app, until=parse_when(until), window_hours=window_hours, baseline_days=baseline_days
    )


async def digest_preview(
    app: App, telegram_id: int, *, until: str | datetime | None = None
) -> list[DigestItem]:
    """The digest a user would get now (or at `until`); nothing is sent or recorded."""
    uid = await user_id_of(app, telegram_id)
    return await build_digest(app, uid, until=parse_when(until) or datetime.now(UTC))


async def similar_posts(
    app: App, post_id: int, *, telegram_id: int | None = None, limit: int = 5
) -> list[SearchHit]:
    """ "More like this" within the user's channels (all channels without a user)."""
    scope = await scope_of(app, telegram_id, ())
    return await more_like_this(app, post_id, channel_ids=scope, limit=limit)


async def missed_posts(app: App, telegram_id: int, *, limit: int = 5) -> list[SearchHit]:
    """ "You may have missed": interesting posts of the user's channels not in their digests."""
    return await you_may_have_missed(app, await user_id_of(app, telegram_id), limit=limit)


async def feedback(app: App, telegram_id: int, post_id: int, value: int) -> None:
    """👍 (+1) / 👎 (-1) on a post; the user's interest profile follows at once."""
    await record_feedback(app, await user_id_of(app, telegram_id), post_id, value)


async def choose_topics(app: App, telegram_id: int, topics: list[str]) -> Profile:
    return await set_topics(app, await user_id_of(app, telegram_id), topics)


async def digest_settings(app: App, telegram_id: int) -> DigestSettingsView:
    return await get_settings(app, await user_id_of(app, telegram_id))


async def change_digest_settings(app: App, telegram_id: int, **changes: Any) -> DigestSettingsView:
    """Change digest settings (time_local, timezone, frequency, weekday, topics, channel_ids,
    items, enabled); bad values raise ReadError and change nothing."""
    return await update_settings(app, await user_id_of(app, telegram_id), **changes)


async def send_digest_now(app: App, telegram_id: int) -> DigestView:
    return await digest_now(app, await user_id_of(app, telegram_id))


async def recent_digests(app: App, telegram_id: int, limit: int = 5) -> list[DigestView]:
    return await last_digests(app, await user_id_of(app, telegram_id), limit)


async def storage_usage(app: App) -> StorageUsage:
    return await usage(app)


__all__ = [
    "DigestSettingsView",
    "DigestView",
    "Profile",
    "SearchHit",
    "StorageUsage",
    "change_digest_settings",
    "choose_topics",
    "digest_settings",
    "feedback",
    "missed_posts",
    "recent_digests",
    "send_digest_now",
    "similar_posts",
    "storage_usage",
    "DigestItem",
    "Trend",
    "chart_png",
    "digest_preview",
    "trends",
    "Answer",
    "ReadError",
    "render",
    "SearchResult",
    "ask_question",
    "parse_when",
    "scope_of",
    "search_posts",
    "user_id_of",
]
