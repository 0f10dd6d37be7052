"""Events screens over the fake Bot API: city → day, a typed date, pages, nearby with a radius,
search, cards in the user's language, save / unsave, reminders, "My events"; bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.bot.conftest import BotEnv
from tgassist.core.db import utcnow
from tgassist.core.users import get_by_telegram_id
from tgassist.events.dedupe import search_text
from tgassist.events.models import Event, EventReminder, SavedEvent

KREMLIN = (55.752, 37.617)
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def bot_overrides() -> dict[str, Any]:
    return {"bot_rate_burst": 100}  # a scripted user types faster than the per-user limit


async def _add(env: BotEnv, n: int, **kw: Any) -> Event:
    now = utcnow()
    fields: dict[str, Any] = {
        "source": "kudago",
        "external_id": f"e{n}",
        "title": f"Концерт {n}",
        "title_en": None,
        "starts_at": now - timedelta(minutes=30),
        "ends_at": now + timedelta(hours=3),
        "timezone": "Europe/Moscow",
        "city": "msk",
        "lat": KREMLIN[0] + 0.001 * n,
        "lng": KREMLIN[1],
        "location_name": f"Клуб {n}",
        "url": f"https://kudago.com/msk/event/e{n}/",
        "dedupe_key": f"key{n}",
        "content_hash": f"h{n}",
    }
    fields.update(kw)
    fields["search_text"] = search_text(fields["title"], fields.get("location_name"))
    async with env.app.db.session() as s:
        event = Event(**fields)
        s.add(event)
        await s.flush()
        return event


async def test_city_today_pages_and_english_card_with_fallback(bot_env: BotEnv) -> None:
    for n in range(1, 8):
        await _add(bot_env, n, title_en=f"Concert {n}" if n == 1 else None)
    user = bot_env.user(3001, language_code="en")
    await user.send("/events")
    home = await user.reply()
    assert {"Moscow", "St Petersburg", "Bali"} <= set(home.button_texts)
    await user.press("Moscow")
    when = await user.reply()
    assert "Moscow: when?" in when.text
    await user.press("Today")
    page1 = await user.reply()
    assert "page 1/2, 7 in all" in page1.text
    assert "Concert 1" in page1.text  # title_en for English readers
    assert "Концерт 2" in page1.text  # no English title yet: the original
    await user.press("▶️")
    page2 = await user.reply()
    assert "page 2/2" in page2.text and "Концерт 6" in page2.text and "Концерт 7" in page2.text
    await user.press("6. Концерт 6")
    card = await user.reply()
    assert "Концерт 6" in card.text and "Клуб 6" in card.text
    assert any("Details" in b for b in card.button_texts)
    await user.press("← Back")
    back = await user.reply()
    assert "page 2/2" in back.text


async def test_save_remind_and_my_events_then_unsave(bot_env: BotEnv) -> None:
    start = utcnow() + timedelta(days=3)
    event = await _add(bot_env, 1, starts_at=start, ends_at=start + timedelta(hours=2))
    user = bot_env.user(3002, language_code="ru")
    await user.send("/events")
    await user.reply()
    await user.press("Москва")
    await user.reply()
    await user.press("📅 Другая дата")
    await user.reply()
    await user.send("завтра-послезавтра")
    bad = await user.reply()
    assert "Не понял дату" in bad.text
    await user.send(start.astimezone(MSK).strftime("%d.%m"))
    listing = await user.reply()
    assert "Концерт 1" in listing.text
    await user.press("1. Концерт 1")
    card = await user.reply()
    await user.press("⭐ Сохранить")
    saved = await user.reply()
    assert "В ваших событиях" in saved.text
    assert "за сутки" in saved.text and "за час" in saved.text  # saving schedules the reminders
    owner = await get_by_telegram_id(bot_env.app.db, 3002)
    assert owner is not None
    async with bot_env.app.db.session() as s:
        kinds = set(
            (
                await s.scalars(
                    select(EventReminder.kind).where(
                        EventReminder.user_id == owner.id, EventReminder.event_id == event.id
                    )
                )
            ).all()
        )
    assert {"24h", "1h"} <= kinds
    await user.press("🔕 Не напоминать")
    quiet = await user.reply()
    assert "Напомню" not in quiet.text and "В ваших событиях" in quiet.text
    await user.press("🔔 Напомнить")
    again = await user.reply()
    assert "за сутки" in again.text

    await user.send("/events")
    await user.reply()
    await user.press("⭐ Мои события")
    mine = await user.reply()
    assert "Мои события" in mine.text and "Концерт 1" in mine.text
    await user.press("1. Концерт 1")
    await user.reply()
    await user.press("✖️ Убрать из моих")
    gone = await user.reply()
    assert "В ваших событиях" not in gone.text
    async with bot_env.app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(SavedEvent)) == 0
        assert (
            await s.scalar(
                select(func.count())
                .select_from(EventReminder)
                .where(EventReminder.status == "pending")
            )
            == 0
        )
    assert card.text


async def test_nearby_by_shared_location_and_radius(bot_env: BotEnv) -> None:
    await _add(bot_env, 1)  # ~100 m from the Kremlin
    await _add(bot_env, 2, lat=55.85, lng=37.617, title="Далёкий концерт")  # ~11 km north
    user = bot_env.user(3003, language_code="en")
    await user.send("/events")
    await user.reply()
    await user.press("📍 Near me")
    ask = await user.reply()
    assert "Share your location" in ask.text
    await user.reply()  # the Back / Menu line under the location button
    await user.send_location(*KREMLIN)
    await user.reply()  # location received (the reply keyboard goes away)
    radius = await user.reply()
    assert "radius" in radius.text and "5 km" in radius.button_texts
    await user.press("5 km")
    near = await user.reply()
    assert "Концерт 1" in near.text and "Далёкий" not in near.text
    assert "km" in near.text
    await user.press("← Back")
    await user.reply()
    await user.press("20 km")
    far = await user.reply()
    assert "Далёкий концерт" in far.text


async def test_search_and_bad_input(bot_env: BotEnv) -> None:
    await _add(bot_env, 1, title="Джазовый вечер")
    user = bot_env.user(3004, language_code="ru")
    await user.send("/events")
    await user.reply()
    await user.press("🔎 Поиск")
    await user.reply()
    await user.send_sticker()
    assert "Пришлите текст" in (await user.reply()).text
    await user.send_voice()
    assert "Пришлите текст" in (await user.reply()).text
    await user.send("😀🎉")
    assert "Слишком короткий запрос" in (await user.reply()).text
    await user.send("я" * 10_000)
    assert "Слишком длинный запрос" in (await user.reply()).text
    await user.send("джаз")
    found = await user.reply()
    assert "Джазовый вечер" in found.text and "«джаз»" in found.text
    # A stale or forged events button is answered, not ignored.
    await user.press_data("ev:card:c:msk:today:0:0:999999")
    answer = await user.callback_answer()
    assert "не найдено" in answer["text"]


async def test_reminder_reaches_the_user_through_bot_outgoing(bot_env: BotEnv) -> None:
    from tgassist.events.reminders import check_reminders

    start = utcnow() + timedelta(hours=2)
    event = await _add(
        bot_env, 1, title="Лекция", title_en="Lecture", starts_at=start, ends_at=None
    )
    user = bot_env.user(3005, language_code="en")
    await user.send("/events")
    await user.reply()
    await user.press_data(f"ev:save:m::::0:{event.id}")
    saved = await user.reply()
    assert "In your events" in saved.text
    later = utcnow() + timedelta(hours=1, minutes=5)  # the 1 h reminder is due then
    assert await check_reminders(bot_env.app, now=later) == (1, 1, 0)
    reminder = await user.reply(timeout=10)
    assert "In one hour" in reminder.text and "Lecture" in reminder.text
    assert await check_reminders(bot_env.app, now=later) == (0, 0, 0)  # never twice
    await user.no_reply(0.5)
