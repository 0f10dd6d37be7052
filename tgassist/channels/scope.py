"""Which channels a reader's request covers: the channels the user follows, narrowed by the
channels named in the request. The one seam to the follows bookkeeping."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from tgassist.channels.models import Channel, Subscription
from tgassist.channels.read_errors import ReadError
from tgassist.channels.service import normalise_username

if TYPE_CHECKING:
    from tgassist.app import App


async def followed_channel_ids(app: App, user_id: int) -> tuple[int, ...]:
    """Channels the user (our users.id) follows."""
    async with app.db.session() as session:
        rows = await session.scalars(
            select(Subscription.channel_id).where(Subscription.user_id == user_id)
        )
        return tuple(sorted(set(rows)))


async def resolve_channels(
    app: App, refs: list[str] | tuple[str, ...], allowed: tuple[int, ...] | None = None
) -> tuple[int, ...] | None:
    """Channel ids of `refs` (@name, t.me link, Telegram id or our id) within `allowed`.

    No refs: `allowed` (None = every channel). An unknown ref or one outside `allowed` raises.
    """
    if not refs:
        return allowed
    out: list[int] = []
    async with app.db.session() as session:
        for ref in refs:
            text = str(ref).strip()
            conds = [Channel.username == normalise_username(text)]
            if text.lstrip("-").isdigit():
                conds = [Channel.id == int(text), Channel.telegram_id == int(text)]
            found = (await session.scalars(select(Channel.id).where(or_(*conds)))).first()
            if found is None:
                raise ReadError("search.channel_unknown", channel=text)
            if allowed is not None and found not in allowed:
                raise ReadError("search.channel_not_followed", channel=text)
            out.append(int(found))
    return tuple(sorted(set(out)))


__all__ = ["followed_channel_ids", "resolve_channels"]
