"""Channels screens over the fake Bot API: follow by @username, a t.me link and a forwarded post,
"My channels" with each channel's status, unfollow; bad input answered and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update
from telethon.errors import ChannelPrivateError

from tests.bot.conftest import BotEnv
from tests.channels.fake_telegram import FakeTelegram as FakeTelethon
from tests.channels.fake_telegram import flood_wait, message
from tgassist.channels.models import Channel, Subscription
from tgassist.channels.parser import ChannelParser
from tgassist.core.users import get_by_telegram_id


@pytest.fixture
def bot_overrides() -> dict[str, Any]:
    return {"bot_rate_burst": 100}  # a scripted user types faster than the per-user limit


async def _subs(env: BotEnv, telegram_id: int) -> list[str]:
    user = await get_by_telegram_id(env.app.db, telegram_id)
    assert user is not None
    async with env.app.db.session() as s:
        rows = await s.execute(
            select(Channel.username)
            .join(Subscription, Subscription.channel_id == Channel.id)
            .where(Subscription.user_id == user.id)
            .order_by(Channel.username)
        )
        return [r[0] for r in rows]


async def test_follow_by_name_link_and_forward_then_list_and_unfollow(bot_env: BotEnv) -> None:
    user = bot_env.user(2001, language_code="en")
    await user.send("/channels")
    home = await user.reply()
    assert "Channels you follow: 0" in home.text
    await user.press("➕ Follow a channel")
    ask = await user.reply()
    assert "@username" in ask.text
    assert any("Back" in b for b in ask.button_texts) and any("Menu" in b for b in ask.button_texts)

    await user.send("@Durov_News")
    done = await user.reply()
    assert "You follow @durov_news" in done.text
    assert "waiting for the first parse" in done.text

    await user.press("➕ Another channel")
    await user.reply()
    await user.send("https://t.me/s/tech_digest/123")
    assert "@tech_digest" in (await user.reply()).text

    await user.press("➕ Another channel")
    await user.reply()
    await user.forward_from_channel(-1001234567890, "forwarded_chan", 42)
    assert "forwarded_chan" in (await user.reply()).text
    assert await _subs(bot_env, 2001) == ["durov_news", "forwarded_chan", "tech_digest"]

    # Following again changes nothing.
    await user.press("➕ Another channel")
    await user.reply()
    await user.send("t.me/durov_news")
    assert "already follow" in (await user.reply()).text
    async with bot_env.app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Subscription)) == 3

    await user.press("📋 My channels")
    listing = await user.reply()
    assert "My channels (3)" in listing.text
    assert "posts: 0" in listing.text
    first = next(b for b in listing.button_texts if b.startswith("1."))
    await user.press(first)
    card = await user.reply()
    assert "Following since" in card.text
    await user.press("🚫 Unfollow")
    confirm = await user.reply()
    assert "Unfollow" in confirm.text
    await user.press("🚫 Yes, unfollow")
    after = await user.reply()
    assert "My channels (2)" in after.text
    assert len(await _subs(bot_env, 2001)) == 2
    # The channel itself stays (others may follow it).
    async with bot_env.app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Channel)) == 3


async def test_bad_channel_refs_are_answered_and_store_nothing(bot_env: BotEnv) -> None:
    user = bot_env.user(2002, language_code="ru")
    await user.send("/channels")
    await user.reply()
    await user.press("➕ Подписаться на канал")
    await user.reply()
    for bad, expected in (
        ("😀😀😀", "не имя канала"),
        ("x" * 10_000, "не имя канала"),
        ("https://t.me/+AbCdEfGh", "закрытый канал"),
        ("@ab", "не имя канала"),
    ):
        await user.send(bad)
        answer = await user.reply()
        assert expected in answer.text, (bad[:20], answer.text)
        assert len(answer.text) < 1000
    await user.send_sticker()
    assert "пересланный пост" in (await user.reply()).text
    await user.send_photo()
    assert "пересланный пост" in (await user.reply()).text
    async with bot_env.app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Channel)) == 0


async def test_forged_unfollow_of_someone_elses_channel_is_refused(bot_env: BotEnv) -> None:
    owner = bot_env.user(2003, language_code="en")
    await owner.send("/channels")
    await owner.reply()
    await owner.press("➕ Follow a channel")
    await owner.reply()
    await owner.send("@owners_channel")
    await owner.reply()
    async with bot_env.app.db.session() as s:
        channel_id = await s.scalar(select(Channel.id))
    intruder = bot_env.user(2004, language_code="en")
    await intruder.send("/channels")
    await intruder.reply()
    await intruder.press_data(f"cn:unfollow_ok:{channel_id}:0")
    answer = await intruder.callback_answer()
    assert "do not follow" in answer["text"]
    assert await _subs(bot_env, 2003) == ["owners_channel"]


async def test_a_russian_followers_card_says_why_parsing_stopped_in_russian(
    bot_env: BotEnv,
) -> None:
    """The card of a channel in error gives the reason in the reader's language, never the
    exception text the parser kept for operators; an old row with only English text stored gets
    the generic reason."""
    user = bot_env.user(2005, language_code="ru")
    await user.send("/channels")
    await user.reply()
    for name in ("closed_chan", "legacy_chan", "flood_chan"):
        await user.press("➕ Подписаться на канал")
        await user.reply()
        await user.send(f"@{name}")
        await user.reply()

    tg = FakeTelethon()
    tg.channel("closed_chan", 5001).add(message(1, "hi", channel_id=5001))
    tg.fail_before[("closed_chan", 1)] = [ChannelPrivateError(request=None)]
    tg.channel("flood_chan", 5002).add(message(1, "hi", channel_id=5002))
    async with bot_env.app.db.session() as s:
        closed, flood = [
            await s.scalar(select(Channel).where(Channel.username == n))
            for n in ("closed_chan", "flood_chan")
        ]
        # written before reasons were stored: English text only
        await s.execute(
            update(Channel)
            .where(Channel.username == "legacy_chan")
            .values(status="error", last_error="OperationalError: database is locked")
        )

    async def sleep(_: float) -> None:
        return None

    parser = ChannelParser(bot_env.app, tg, sleep=sleep)
    assert closed is not None and flood is not None
    report = await parser.parse_channel(closed)
    assert report.status == "error" and "private" in (report.error or "")
    tg.fail_before[("flood_chan", 1)] = [flood_wait(7200, 5002) for _ in range(10)]
    assert (await parser.parse_channel(flood)).status == "flood_wait"

    await user.press("📋 Мои каналы")
    listing = await user.reply()
    cards = {}
    for label in [b for b in listing.button_texts if b[:1].isdigit()]:
        await user.press(label)
        card = await user.reply()
        cards[next(n for n in ("closed_chan", "legacy_chan", "flood_chan") if n in card.text)] = (
            card.text
        )
        await user.press("← Назад")
        await user.reply()
    assert "Канал закрыт или больше недоступен" in cards["closed_chan"]
    assert "при чтении канала что-то пошло не так" in cards["legacy_chan"].lower()
    assert "Telegram попросил приостановить чтение канала до" in cards["flood_chan"]
    assert " UTC" in cards["flood_chan"]
    assert "Подробнее: Telegram попросил" in cards["flood_chan"]  # a pause, not an error
    assert "Последняя ошибка: Канал закрыт" in cards["closed_chan"]
    for text in cards.values():
        for english in ("private", "permission", "OperationalError", "database", "A wait of"):
            assert english not in text, text
