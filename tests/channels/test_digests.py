"""Digests: settings validation, due periods in the user's time zone, ranking, splitting, and
exactly one digest per user and period even with two schedulers or a crash mid-send."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.channels.read_util import NOW, add_posts, index_posts, make_channel
from tgassist.app import App
from tgassist.channels.digest_rank import DigestItem
from tgassist.channels.digests import (
    current_period,
    get_settings,
    last_digests,
    send_due,
    split_parts,
    update_settings,
)
from tgassist.channels.read_errors import ReadError
from tgassist.channels.read_models import DigestDelivery
from tgassist.channels.service import subscribe
from tgassist.core.models import OutboxRow, User
from tgassist.core.outgoing import enqueue_message


async def _users(app: App, n: int) -> list[int]:
    ch = await make_channel(app, "digestnews", "Digest News")
    texts = [
        f"Новость {i}: город открыл {i} новых парков и скверов для жителей района."
        for i in range(5)
    ] + ["Python 3.14 вышел с новым сборщиком мусора и быстрым интерпретатором."]
    ids = await add_posts(app, ch, texts, start=NOW - timedelta(hours=10), views=100)
    await index_posts(app, ids)
    out = []
    async with app.db.session() as session:
        for i in range(n):
            u = User(telegram_id=5000 + i, language="ru" if i % 2 else "en")
            session.add(u)
            await session.flush()
            out.append(u.id)
    for uid in out:
        await subscribe(app, uid, ch)
        await update_settings(app, uid, time_local="09:00", timezone="Europe/Moscow")
    return out


async def _counts(app: App) -> tuple[dict[int, int], int]:
    async with app.db.session() as session:
        per = dict(
            (
                await session.execute(
                    select(DigestDelivery.user_id, func.count()).group_by(DigestDelivery.user_id)
                )
            ).all()
        )
        sent = await session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.stream == "bot.outgoing")
        )
    return per, int(sent or 0)


async def test_settings_are_validated_and_nothing_changes_on_bad_input(app: App) -> None:
    (uid,) = await _users(app, 1)
    for bad in (
        {"time_local": "25:00"},
        {"timezone": "Mars/Olympus"},
        {"frequency": "hourly"},
        {"items": 0},
    ):
        with pytest.raises(ReadError):
            await update_settings(app, uid, **bad)
    s = await get_settings(app, uid)
    assert (s.time_local, s.timezone, s.frequency, s.items) == (
        "09:00",
        "Europe/Moscow",
        "daily",
        10,
    )


def test_due_periods_follow_the_users_time_zone() -> None:
    from tgassist.channels.digests import DigestSettingsView

    s = DigestSettingsView(1, True, "09:00", "Asia/Makassar", "daily", 0, (), (), 10)  # UTC+8
    assert current_period(s, datetime(2026, 12, 1, 0, 59, tzinfo=UTC)) is None
    assert current_period(s, datetime(2026, 12, 1, 1, 0, tzinfo=UTC))[0] == "2026-12-01"
    weekly = DigestSettingsView(1, True, "09:00", "UTC", "weekly", 4, (), (), 10)  # Fridays
    assert current_period(weekly, datetime(2026, 12, 3, 12, tzinfo=UTC)) is not None  # last Fri
    assert current_period(weekly, datetime(2026, 12, 4, 12, tzinfo=UTC))[0] == "2026-W49"


async def test_two_schedulers_send_each_digest_once(app: App) -> None:
    users = await _users(app, 6)
    now = NOW  # 12:00 UTC = 15:00 Moscow: due
    reports = await asyncio.gather(send_due(app, now), send_due(app, now))
    per, sent = await _counts(app)
    assert per == {u: 1 for u in users}
    assert sum(r.sent for r in reports) == len(users)
    assert sent == len(users)  # one message part each
    again = await send_due(app, now + timedelta(minutes=15))
    assert again.due == 0 and (await _counts(app))[1] == len(users)
    history = await last_digests(app, users[0])
    assert history[0].items and history[0].items[0].summary


async def test_crash_mid_send_loses_and_duplicates_no_one(app: App) -> None:
    users = await _users(app, 5)
    calls = {"n": 0}

    async def crashing(session: Any, **kw: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed mid-send")
        await enqueue_message(session, **kw)

    first = await send_due(app, NOW, send=crashing)
    assert first.failed == 1 and first.sent == 4
    second = await send_due(app, NOW + timedelta(minutes=15))
    assert second.sent == 1
    per, sent = await _counts(app)
    assert per == {u: 1 for u in users} and sent == len(users)


def test_long_digests_are_split_at_4096_characters() -> None:
    items = [
        DigestItem(i, 1, "@c", i, f"https://t.me/c/{i}", "c", "слово " * 150, 1.0, NOW)
        for i in range(12)
    ]
    parts = split_parts(items)
    assert len(parts) > 1 and all(len(p) <= 4096 - 200 for p in parts)
    assert sum(p.count("https://t.me/c/") for p in parts) == 12
