"""Saving events and reminders: 24 h / 1 h / at start → notifications → notifier."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.events.conftest import MakeApp, messages
from tests.events.world import BALIFORUM_ITEMS, NOW, baliforum_server, world_settings
from tgassist.core.models import User
from tgassist.events.exceptions import EventsError
from tgassist.events.ingest import ingest
from tgassist.events.models import EventNotification, EventReminder
from tgassist.events.reminders import (
    LoggingNotifier,
    Notification,
    check_reminders,
    deliver,
    produce_due,
)
from tgassist.events.service import events_by_city, save_event, saved_events, unsave_event


class FailingNotifier:
    async def send(self, notification: Notification) -> None:
        raise RuntimeError("telegram is down")


async def setup(make_app: MakeApp, tmp_path: Path) -> tuple:  # type: ignore[type-arg]
    with baliforum_server(BALIFORUM_ITEMS) as server:
        app = await make_app(**world_settings(server, tmp_path))
        await ingest(app, ["baliforum"], now=NOW)
    async with app.db.session() as s:
        ru, en = User(telegram_id=1001, language="ru"), User(telegram_id=1002, language="en")
        s.add_all([ru, en])
    yoga = (await events_by_city(app, "bali", "today", now=NOW))[0]
    party = (await events_by_city(app, "bali", "weekend", now=NOW))[0]
    return app, ru.id, en.id, yoga, party


async def test_save_schedules_future_reminders_and_they_fire_once(
    make_app: MakeApp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app, ru, en, yoga, party = await setup(make_app, tmp_path)
    assert await save_event(app, ru, yoga.id, now=NOW) is True
    assert await save_event(app, ru, yoga.id, now=NOW) is False
    assert await save_event(app, en, party.id, now=NOW) is True
    async with app.db.session() as s:
        kinds = {
            (r.event_id, r.kind): r.due_at
            for r in (await s.execute(select(EventReminder))).scalars()
        }
    # Yoga starts in 11 h: its 24 h reminder is already past, so only 1 h and start remain.
    assert set(kinds) == {
        (yoga.id, "1h"),
        (yoga.id, "start"),
        (party.id, "24h"),
        (party.id, "1h"),
        (party.id, "start"),
    }
    assert kinds[(party.id, "24h")] == party.starts_at - timedelta(hours=24)

    assert await produce_due(app, NOW + timedelta(hours=9)) == 0
    assert await produce_due(app, yoga.starts_at - timedelta(minutes=59)) == 1
    assert await produce_due(app, yoga.starts_at - timedelta(minutes=30)) == 0  # never twice
    assert await deliver(app, LoggingNotifier()) == (1, 0)
    assert f"[REMINDER] user={ru} event={yoga.id} kind=1h" in messages(caplog)
    assert await deliver(app, LoggingNotifier()) == (0, 0)

    # A day later: the yoga "start" reminder was missed by more than an hour, so it expires.
    assert await produce_due(app, party.starts_at - timedelta(hours=23)) == 1
    produced, sent, failed = await check_reminders(app, party.starts_at + timedelta(minutes=1))
    assert (produced, sent, failed) == (1, 2, 0)  # party "start"; its "1h" was overtaken
    async with app.db.session() as s:
        notes = (
            (
                await s.execute(
                    select(EventNotification)
                    .where(EventNotification.user_id == en)
                    .order_by(EventNotification.id)
                )
            )
            .scalars()
            .all()
        )
        statuses = {
            (r.event_id, r.kind): r.status
            for r in (await s.execute(select(EventReminder))).scalars()
        }
    assert [n.text.split(":")[0] for n in notes] == ["Tomorrow", "Starting now"]
    assert notes[0].text.startswith("Tomorrow:\nВечеринка на пляже\nWhen: 2030-01-12 20:00 WITA")
    assert all(n.sent_at is not None for n in notes)
    async with app.db.session() as s:
        ru_note = await s.scalar(
            select(EventNotification.text).where(
                EventNotification.user_id == ru, EventNotification.event_id == yoga.id
            )
        )
    assert ru_note is not None and ru_note.startswith("Через час:\n")  # the recipient's language
    assert "\nКогда: " in ru_note and "When" not in ru_note
    assert statuses[(yoga.id, "start")] == statuses[(party.id, "1h")] == "expired"


async def test_failed_delivery_is_retried_and_unsave_drops_reminders(
    make_app: MakeApp, tmp_path: Path
) -> None:
    app, ru, _en, yoga, party = await setup(make_app, tmp_path)
    await save_event(app, ru, yoga.id, now=NOW)
    await save_event(app, ru, party.id, now=NOW)
    assert [c.id for c in await saved_events(app, ru)] == [yoga.id, party.id]
    assert await produce_due(app, yoga.starts_at - timedelta(minutes=30)) == 1
    assert await deliver(app, FailingNotifier()) == (0, 1)
    async with app.db.session() as s:
        notes = (await s.execute(select(EventNotification))).scalars().all()
    assert all(n.sent_at is None and n.error == "telegram is down" for n in notes)
    assert await deliver(app, LoggingNotifier()) == (1, 0)

    assert await unsave_event(app, ru, party.id) is True
    assert await unsave_event(app, ru, party.id) is False
    assert await produce_due(app, party.starts_at) == 0
    with pytest.raises(EventsError, match="not found"):
        await save_event(app, ru, 999999, now=NOW)


async def test_reminders_follow_a_moved_start(make_app: MakeApp, tmp_path: Path) -> None:
    items = [dict(i) for i in BALIFORUM_ITEMS]
    with baliforum_server(items) as server:
        app = await make_app(**world_settings(server, tmp_path))
        await ingest(app, ["baliforum"], now=NOW)
        async with app.db.session() as s:
            user = User(telegram_id=7)
            s.add(user)
        party = (await events_by_city(app, "bali", "weekend", now=NOW))[0]
        await save_event(app, user.id, party.id, now=NOW)
        items[2] = {
            **items[2],
            "eventDates": [{"startAt": "2030-01-12 23:00:00"}],
        }  # three hours later
        report = await ingest(app, ["baliforum"], now=NOW + timedelta(hours=1))
    assert report.sources["baliforum"].updated == 1
    old_1h = party.starts_at - timedelta(hours=1)
    assert (
        await produce_due(app, old_1h + timedelta(minutes=1)) == 1
    )  # the "tomorrow" one, not "in one hour"
    assert await produce_due(app, old_1h + timedelta(hours=3, minutes=1)) == 1
    async with app.db.session() as s:
        notes = (
            (await s.execute(select(EventNotification).order_by(EventNotification.id)))
            .scalars()
            .all()
        )
    assert [n.kind for n in notes] == ["24h", "1h"] and "23:00" in notes[1].text
