"""Reminders of saved events (24 h and 1 h before, at start) → notifications → a notifier.

A due reminder becomes one `event_notifications` row (unique per user, event and kind, so a re-run
never duplicates it); a notifier delivers unsent rows and stamps `sent_at`. With a bot configured
they go to Telegram through `bot.outgoing` (`events/notify.py`); without one, to the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tgassist.core.db import utcnow
from tgassist.core.i18n import normalize_language, t
from tgassist.core.models import User
from tgassist.events.card import to_card
from tgassist.events.models import Event, EventNotification, EventReminder

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

REMINDERS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("1h", timedelta(hours=1)),
    ("start", timedelta(0)),
)
# A reminder checked this late is not sent: "tomorrow" after the 1 h mark, "in one hour" after the
# start, "starting now" an hour after the start (the scheduler was down).
STALE_AFTER = {"24h": timedelta(hours=23), "1h": timedelta(hours=1), "start": timedelta(hours=1)}
# The heading of each kind of reminder, in the recipient's language.
HEADINGS = {
    "24h": "events.reminder.heading.24h",
    "1h": "events.reminder.heading.1h",
    "start": "events.reminder.heading.start",
}


@dataclass(frozen=True)
class Notification:
    """What a notifier receives."""

    id: int
    user_id: int
    telegram_id: int | None
    event_id: int
    kind: str
    text: str


class Notifier(Protocol):
    """Delivers notifications; raise to leave one unsent (it is retried on the next check)."""

    async def send(self, notification: Notification) -> None: ...


class LoggingNotifier:
    """Writes each notification to the log (the default until the bot delivers them)."""

    async def send(self, notification: Notification) -> None:
        log.info(
            f"[REMINDER] user={notification.user_id} event={notification.event_id} kind={notification.kind}",
            text=notification.text,
        )


async def schedule_reminders(s: AsyncSession, user_id: int, event: Event, now: datetime) -> int:
    """Reminder rows for a newly saved event; only those still in the future."""
    count = 0
    for kind, before in REMINDERS:
        due = event.starts_at - before
        if due > now:
            s.add(
                EventReminder(
                    user_id=user_id, event_id=event.id, kind=kind, due_at=due, status="pending"
                )
            )
            count += 1
    return count


async def produce_due(app: App, now: datetime | None = None) -> int:
    """Turn due reminders into notifications; reminders of cancelled/removed events are dropped.

    Due times follow the event's current start (a source may move it), not the time it was saved.
    """
    now = now or utcnow()
    offsets = dict(REMINDERS)
    produced = 0
    async with app.db.session() as s:
        rows = (
            await s.execute(
                select(EventReminder, Event, User.language)
                .outerjoin(Event, Event.id == EventReminder.event_id)
                .join(User, User.id == EventReminder.user_id)
                .where(
                    EventReminder.status == "pending",
                    or_(
                        Event.id.is_(None),
                        Event.status != "active",
                        Event.starts_at <= now + REMINDERS[0][1],
                    ),
                )
                .order_by(EventReminder.due_at)
            )
        ).all()
        for reminder, event, language in rows:
            if event is None or event.status != "active":
                reminder.status = "cancelled"
                continue
            due = event.starts_at - offsets[reminder.kind]
            if due != reminder.due_at:
                reminder.due_at = due
            if due > now:
                continue
            if now >= due + STALE_AFTER[reminder.kind]:
                reminder.status = "expired"  # a later reminder (or the event) has overtaken it
                continue
            exists = (
                await s.execute(
                    select(EventNotification.id).where(
                        EventNotification.user_id == reminder.user_id,
                        EventNotification.event_id == reminder.event_id,
                        EventNotification.kind == reminder.kind,
                    )
                )
            ).first()
            if not exists:
                lang = normalize_language(language, "ru")
                card = to_card(event, lang, app.settings.events_city_timezones).text()
                text = t(
                    "events.reminder.text",
                    lang,
                    heading=t(HEADINGS[reminder.kind], lang),
                    card=card,
                )
                s.add(
                    EventNotification(
                        user_id=reminder.user_id,
                        event_id=reminder.event_id,
                        kind=reminder.kind,
                        text=text,
                        created_at=now,
                    )
                )
                produced += 1
            reminder.status = "produced"
    return produced


async def pending_notifications(app: App, limit: int = 100) -> list[Notification]:
    async with app.db.session() as s:
        rows = (
            await s.execute(
                select(EventNotification, User.telegram_id)
                .join(User, User.id == EventNotification.user_id)
                .where(EventNotification.sent_at.is_(None))
                .order_by(EventNotification.id)
                .limit(limit)
            )
        ).all()
    return [Notification(n.id, n.user_id, tg, n.event_id, n.kind, n.text) for n, tg in rows]


async def deliver(app: App, notifier: Notifier, limit: int = 100) -> tuple[int, int]:
    """Send unsent notifications; returns (sent, failed). A failure stays unsent for the next check."""
    sent = failed = 0
    for note in await pending_notifications(app, limit):
        try:
            await notifier.send(note)
        except Exception as err:
            failed += 1
            async with app.db.session() as s:
                await s.execute(
                    update(EventNotification)
                    .where(EventNotification.id == note.id)
                    .values(error=str(err)[:500])
                )
            continue
        sent += 1
        async with app.db.session() as s:
            await s.execute(
                update(EventNotification)
                .where(EventNotification.id == note.id)
                .values(sent_at=utcnow(), error=None)
            )
    return sent, failed


def notifier_for(app: App) -> Notifier:
    """A notifier registered on the App (`app.events_notifier`); else Telegram through
    `bot.outgoing` when a bot is configured; else the logging one."""
    registered = getattr(app, "events_notifier", None)
    if registered is not None:
        return registered  # type: ignore[no-any-return]
    if app.settings.bot_token is not None:
        from tgassist.events.notify import OutgoingNotifier

        return OutgoingNotifier(app)
    return LoggingNotifier()


async def check_reminders(app: App, now: datetime | None = None) -> tuple[int, int, int]:
    """The 5-minute job: produce due notifications, deliver them. Returns (produced, sent, failed)."""
    produced = await produce_due(app, now)
    sent, failed = await deliver(app, notifier_for(app))
    if produced or sent or failed:
        log.info("event reminders", produced=produced, sent=sent, failed=failed)
    return produced, sent, failed


async def pending_reminders(app: App, limit: int = 200) -> list[dict[str, object]]:
    """Reminders not produced yet, soonest first (for `tgassist events reminders`)."""
    async with app.db.session() as s:
        rows = (
            (
                await s.execute(
                    select(EventReminder)
                    .where(EventReminder.status == "pending")
                    .order_by(EventReminder.due_at)
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
    return [
        {
            "user_id": r.user_id,
            "event_id": r.event_id,
            "kind": r.kind,
            "due_at": r.due_at.isoformat(),
        }
        for r in rows
    ]
