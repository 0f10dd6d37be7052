"""Digests: per-user settings, the 15-minute job that sends the digests that are due, "digest now"
and the last digests.

Exactly once per period: a user's digest of a period is one transaction that inserts the
`digest_deliveries(user_id, period)` row (unique) and writes the messages to the outbox through
`bot.outgoing` (each with a dedupe key of the user and period). A crash before the commit leaves
nothing (the next run sends it); after the commit the row exists and no run sends it again, however
many schedulers race (the unique key refuses the second insert).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tgassist.channels.corpus import corpus_of
from tgassist.channels.digest_rank import DigestItem, rank_digest
from tgassist.channels.interests import Profile, load_profiles
from tgassist.channels.models import Subscription
from tgassist.channels.read_errors import ReadError, render
from tgassist.channels.read_models import DigestDelivery, DigestSettings
from tgassist.core.models import User

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

MAX_MESSAGE = 4096
MAX_ITEMS = 50
TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# sender(session, chat_id=…, key=…, params=…, lang=…, buttons=…, dedupe_key=…)
Sender = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class DigestSettingsView:
    user_id: int
    enabled: bool
    time_local: str
    timezone: str
    frequency: str
    weekday: int
    topics: tuple[str, ...]
    channel_ids: tuple[int, ...]
    items: int


@dataclass(frozen=True)
class DigestView:
    """A digest built (and, unless a preview, sent) for one user and period."""

    user_id: int
    period: str
    items: tuple[DigestItem, ...]
    parts: int
    sent: bool
    created_at: datetime | None = None


@dataclass
class DigestRunReport:
    due: int = 0
    sent: int = 0
    empty: int = 0
    skipped: int = 0  # already sent for the period (another scheduler, or an earlier run)
    failed: int = 0


def _view(row: DigestSettings | None, user_id: int, default_items: int) -> DigestSettingsView:
    if row is None:
        return DigestSettingsView(user_id, False, "09:00", "UTC", "daily", 0, (), (), default_items)
    return DigestSettingsView(
        user_id,
        row.enabled,
        row.time_local,
        row.timezone,
        row.frequency,
        row.weekday,
        tuple(row.topics or ()),
        tuple(row.channel_ids or ()),
        row.items,
    )


async def get_settings(app: App, user_id: int) -> DigestSettingsView:
    async with app.db.session() as session:
        row = await session.get(DigestSettings, user_id)
        return _view(row, user_id, app.settings.digest_default_items)


def validate_settings(changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(changes)
    if "time_local" in out:
        m = TIME_RE.match(str(out["time_local"]).strip())
        if not m:
            raise ReadError("search.digest.time_invalid", value=out["time_local"])
        out["time_local"] = f"{int(m.group(1)):02d}:{m.group(2)}"
    if "timezone" in out:
        try:
            ZoneInfo(str(out["timezone"]))
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ReadError("search.digest.timezone_invalid", value=out["timezone"]) from err
    if "frequency" in out and out["frequency"] not in ("daily", "weekly"):
        raise ReadError("search.digest.frequency_invalid", value=out["frequency"])
    if "items" in out and not 1 <= int(out["items"]) <= MAX_ITEMS:
        raise ReadError("search.digest.items_invalid", max=MAX_ITEMS)
    if "weekday" in out and not 0 <= int(out["weekday"]) <= 6:
        raise ReadError("search.digest.weekday_invalid")
    for name in ("topics", "channel_ids"):
        if name in out:
            out[name] = list(out[name])
    return out


async def update_settings(app: App, user_id: int, **changes: Any) -> DigestSettingsView:
    """Change a user's digest settings (created on first use, enabled unless said otherwise)."""
    values = validate_settings(changes)
    async with app.db.session() as session:
        row = await session.get(DigestSettings, user_id)
        if row is None:
            row = DigestSettings(
                user_id=user_id,
                enabled=True,
                time_local="09:00",
                timezone="UTC",
                frequency="daily",
                weekday=0,
                topics=[],
                channel_ids=[],
                items=app.settings.digest_default_items,
            )
            session.add(row)
        for k, v in values.items():
            setattr(row, k, v)
        await session.flush()
        return _view(row, user_id, app.settings.digest_default_items)


def current_period(s: DigestSettingsView, now: datetime) -> tuple[str, datetime] | None:
    """(period key, its start in UTC) when the digest of the current period is due, else None."""
    tz = ZoneInfo(s.timezone)
    local = now.astimezone(tz)
    hh, mm = (int(x) for x in s.time_local.split(":"))
    if s.frequency == "weekly":
        day = local.date() - timedelta(days=(local.weekday() - s.weekday) % 7)
        at = datetime.combine(day, time(hh, mm), tz)
        if at > local:
            return None
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}", at.astimezone(UTC)
    at = datetime.combine(local.date(), time(hh, mm), tz)
    if at > local:
        return None
    return local.date().isoformat(), at.astimezone(UTC)


@dataclass(frozen=True)
class DigestContext:
    """What building digests needs of many users, read in a few queries."""

    follows: dict[int, tuple[int, ...]]
    last_sent: dict[int, datetime]
    profiles: dict[int, Profile]


async def load_context(app: App, user_ids: list[int]) -> DigestContext:
    follows: dict[int, list[int]] = {u: [] for u in user_ids}
    last: dict[int, datetime] = {}
    async with app.db.session() as session:
        for start in range(0, len(user_ids), 500):
            chunk = user_ids[start : start + 500]
            for uid, cid in (
                await session.execute(
                    select(Subscription.user_id, Subscription.channel_id).where(
                        Subscription.user_id.in_(chunk)
                    )
                )
            ).all():
                follows[uid].append(cid)
            for uid, at in (
                await session.execute(
                    select(DigestDelivery.user_id, func.max(DigestDelivery.created_at))
                    .where(DigestDelivery.user_id.in_(chunk), ~DigestDelivery.period.like("now:%"))
                    .group_by(DigestDelivery.user_id)
                )
            ).all():
                last[uid] = at
    return DigestContext(
        {u: tuple(sorted(c)) for u, c in follows.items()},
        last,
        await load_profiles(app, user_ids),
    )


async def build_digest(
    app: App,
    user_id: int,
    *,
    until: datetime,
    since: datetime | None = None,
    settings: DigestSettingsView | None = None,
    context: DigestContext | None = None,
) -> list[DigestItem]:
    """The digest's items for a user (a preview: nothing is sent or recorded)."""
    s = settings or await get_settings(app, user_id)
    ctx = context or await load_context(app, [user_id])
    channels = ctx.follows.get(user_id, ())
    if s.channel_ids:
        channels = tuple(c for c in channels if c in set(s.channel_ids))
    if not channels:
        return []
    if since is None:
        since = ctx.last_sent.get(user_id) or until - timedelta(
            days=7 if s.frequency == "weekly" else 1
        )
    corpus = await corpus_of(app)
    return rank_digest(
        corpus,
        ctx.profiles[user_id],
        channel_ids=channels,
        since=since,
        until=until,
        items=s.items,
        per_channel=app.settings.digest_max_per_channel,
        topics=s.topics,
    )


def split_parts(items: list[DigestItem], limit: int = MAX_MESSAGE) -> list[str]:
    """Item blocks joined into messages of at most `limit` characters (a block is never cut,
    except one longer than a message on its own). Room is left for the header."""
    budget = limit - 200
    parts: list[str] = []
    current = ""
    for i, item in enumerate(items, 1):
        block = f"{i}. {item.summary}\n{item.url or item.source_label}"
        block = block[:budget]
        if current and len(current) + 2 + len(block) > budget:
            parts.append(current)
            current = block
        else:
            current = f"{current}\n\n{block}" if current else block
    if current:
        parts.append(current)
    return parts


def _default_sender() -> Sender:
    from tgassist.core.outgoing import enqueue_message  # the bot's `bot.outgoing` stream

    return enqueue_message  # type: ignore[no-any-return]


async def deliver(
    app: App,
    user: User,
    period: str,
    items: list[DigestItem],
    send: Sender | None = None,
) -> bool:
    """Record and send one digest in one transaction; False when the period's digest exists."""
    send = send or _default_sender()
    parts = split_parts(items)
    try:
        async with app.db.session() as session:
            session.add(
                DigestDelivery(
                    user_id=user.id,
                    period=period,
                    status="sent" if items else "empty",
                    items=[_item_json(i) for i in items],
                    parts=len(parts),
                )
            )
            await session.flush()  # the unique (user, period) key: a second sender stops here
            for n, body in enumerate(parts, 1):
                buttons = [
                    [
                        {"text": f"👍 {k}", "callback_data": f"dg:up:{it.post_id}"},
                        {"text": f"👎 {k}", "callback_data": f"dg:down:{it.post_id}"},
                        {"text": f"🔎 {k}", "callback_data": f"dg:more:{it.post_id}"},
                    ]
                    for k, it in enumerate(items, 1)
                    if n == len(parts)
                ]
                await send(
                    session,
                    chat_id=user.telegram_id,
                    key="search.digest.part",
                    params={"count": len(items), "part": n, "parts": len(parts), "items": body},
                    lang=user.language,
                    buttons=buttons or None,
                    dedupe_key=f"digest:{user.id}:{period}:{n}",
                )
    except IntegrityError:
        return False
    return True


def _item_json(i: DigestItem) -> dict[str, Any]:
    return {
        "post_id": i.post_id,
        "channel": i.channel,
        "message_id": i.message_id,
        "url": i.url,
        "summary": i.summary,
        "score": i.score,
    }


async def send_due(
    app: App, now: datetime | None = None, send: Sender | None = None
) -> DigestRunReport:
    """The digest job: every enabled user whose digest time of the current period has come."""
    now = now or datetime.now(UTC)
    report = DigestRunReport()
    async with app.db.session() as session:
        rows = (
            await session.execute(
                select(DigestSettings, User)
                .join(User, User.id == DigestSettings.user_id)
                .where(DigestSettings.enabled.is_(True), User.is_active.is_(True))
            )
        ).all()
        done = {
            (d.user_id, d.period)
            for d in (
                await session.execute(
                    select(DigestDelivery.user_id, DigestDelivery.period).where(
                        DigestDelivery.created_at >= now - timedelta(days=8)
                    )
                )
            ).all()
        }
    todo = []
    for settings_row, user in rows:
        view = _view(settings_row, user.id, app.settings.digest_default_items)
        due = current_period(view, now)
        if due is not None and (user.id, due[0]) not in done:
            todo.append((view, user, due[0]))
    context = await load_context(app, [u.id for _v, u, _p in todo])
    for view, user, period in todo:
        report.due += 1
        try:
            items = await build_digest(app, user.id, until=now, settings=view, context=context)
            if not items:
                report.empty += 1  # recorded so the period is not looked at again
            if await deliver(app, user, period, items, send):
                report.sent += 1 if items else 0
            else:
                report.skipped += 1
        except Exception as err:  # one user's failure never sinks the others; retried next run
            report.failed += 1
            log.exception("digest failed", user_id=user.id, period=period, error=str(err))
    log.info("digests", **report.__dict__)
    return report


async def digest_now(
    app: App, user_id: int, send: Sender | None = None, now: datetime | None = None
) -> DigestView:
    """Build and send a digest at once (it does not count as the period's scheduled one)."""
    now = now or datetime.now(UTC)
    async with app.db.session() as session:
        user = await session.get(User, user_id)
    if user is None:
        raise ReadError("search.user_unknown", telegram_id=user_id)
    items = await build_digest(app, user_id, until=now, since=now - timedelta(days=1))
    period = f"now:{uuid.uuid4().hex[:12]}"
    await deliver(app, user, period, items, send)
    return DigestView(user_id, period, tuple(items), len(split_parts(items)), True, now)


async def last_digests(app: App, user_id: int, limit: int = 5) -> list[DigestView]:
    async with app.db.session() as session:
        rows = (
            await session.scalars(
                select(DigestDelivery)
                .where(DigestDelivery.user_id == user_id)
                .order_by(DigestDelivery.created_at.desc(), DigestDelivery.id.desc())
                .limit(limit)
            )
        ).all()
    return [
        DigestView(
            r.user_id,
            r.period,
            tuple(
                DigestItem(
                    post_id=i["post_id"],
                    channel_id=0,
                    channel=i["channel"],
                    message_id=i["message_id"],
                    url=i.get("url"),
                    source_label=i["channel"],
                    summary=i["summary"],
                    score=i["score"],
                    date=r.created_at,
                )
                for i in (r.items or [])
            ),
            r.parts,
            True,
            r.created_at,
        )
        for r in rows
    ]


__all__ = [
    "DigestRunReport",
    "DigestSettingsView",
    "DigestView",
    "build_digest",
    "current_period",
    "deliver",
    "digest_now",
    "get_settings",
    "last_digests",
    "render",
    "send_due",
    "split_parts",
    "update_settings",
]
