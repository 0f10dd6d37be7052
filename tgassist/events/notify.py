"""Reminders delivered to Telegram through `bot.outgoing`: the reminder job may run in any process
(scheduler, worker); the bot role's sender delivers the message, paced to Telegram's limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tgassist.core.outgoing import enqueue_message
from tgassist.events.exceptions import EventsError

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.events.reminders import Notification


class OutgoingNotifier:
    """Stages each notification as an outbox message; the dedupe key keeps a notification that
    is staged twice (a crash before `sent_at` was written) from reaching the user twice."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def send(self, notification: Notification) -> None:
        if notification.telegram_id is None:
            raise EventsError("events.notify.no_telegram", id=notification.user_id)

        async with self.app.db.session() as session:
            await enqueue_message(
                session,
                chat_id=notification.telegram_id,
                text=notification.text,
                dedupe_key=f"event_reminder:{notification.id}",
            )
        self.app.outbox.kick()
