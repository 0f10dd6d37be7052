"""/admin over the fake Bot API: refusal, stats, find/block/limits, broadcasts, errors, monitor."""

from __future__ import annotations

import asyncio

from tests.bot.conftest import ADMIN_ID, BotEnv
from tgassist.core.bus import Delivery
from tgassist.core.users import get_by_telegram_id


async def _register(env: BotEnv, *ids: int, lang: str = "en") -> None:
    for tid in ids:
        user = env.user(tid, language_code=lang, username=f"user{tid}")
        await user.send("/start")
        await user.reply()


async def test_admin_is_refused_to_everyone_else(bot_env: BotEnv) -> None:
    user = bot_env.user(4001, language_code="en")
    await user.send("/admin")
    assert (await user.reply()).text == "/admin is for the bot's administrators only."
    await user.press_data("adm:bc_to:0:all")  # a forged admin button
    answer = await user.callback_answer()
    assert answer["text"] == "/admin is for the bot's administrators only."
    await user.no_reply(0.3)


async def test_stats_find_block_and_limits(bot_env: BotEnv) -> None:
    await _register(bot_env, 4002, 4003)
    boss = bot_env.user(ADMIN_ID, language_code="en")
    await boss.send("/admin")
    home = await boss.reply()
    assert "Users: 3" in home.text and "New today: 3" in home.text  # the admin counts too
    await boss.press("🔎 Find a user")
    await boss.reply()
    await boss.send("nobody-like-this")
    assert "Nobody matches" in (await boss.reply()).text
    await boss.send("@user4003")
    found = await boss.reply()
    await boss.press(found.button_texts[0])
    card = await boss.reply()
    assert "Telegram ID: 4003" in card.text and "Status: active" in card.text
    await boss.press("🚫 Block")
    assert "User blocked" in (await boss.reply()).text
    victim = bot_env.user(4003)
    await victim.send("/menu")
    assert "blocked your access" in (await victim.reply()).text
    await boss.press("✅ Unblock")
    assert "User unblocked" in (await boss.reply()).text
    await boss.press("⚖️ Limits")
    await boss.reply()
    await boss.send("campaigns=lots")
    assert "'lots' is not a whole non-negative number" in (await boss.reply()).text
    await boss.send("campaigns=5 channels=20")
    card = await boss.reply()
    assert "Limits saved" in card.text and "campaigns=5, channels=20" in card.text
    me = await get_by_telegram_id(bot_env.app.db, 4003)
    assert me is not None and me.limits == {"campaigns": 5, "channels": 20}


async def test_broadcast_reaches_everyone_once_with_a_report(bot_env: BotEnv) -> None:
    await _register(bot_env, 4010, 4011, 4012)
    bot_env.server.block(4012)
    boss = bot_env.user(ADMIN_ID, language_code="en")
    await boss.send("/admin")
    await boss.reply()
    await boss.press("📣 Broadcast")
    await boss.reply()
    await boss.press("Everyone (4)")
    await boss.reply()
    await boss.send("<b>Hi</b> & welcome")
    preview = await boss.reply()
    assert "<b>Hi</b> & welcome" in preview.text
    first = await boss.press("📣 Send")
    second = await boss.press("📣 Send", message=preview)  # a double tap
    answers = bot_env.server.callback_answers
    for _ in range(250):
        if first in answers and second in answers:
            break
        await asyncio.sleep(0.02)
    texts = [answers[q].get("text") for q in (first, second)]
    assert texts.count("This broadcast was sent already, or is outdated.") == 1
    report = await boss.reply_until(lambda r: "finished" in r.text, timeout=15)
    assert "Total: 4" in report.text and "Delivered: 3" in report.text
    assert "Have blocked the bot: 1" in report.text
    for tid in (4010, 4011, ADMIN_ID):
        got = [m for m in bot_env.server.chats[tid] if m.text == "<b>Hi</b> & welcome"]
        assert len(got) == 1, tid
    blocked = await get_by_telegram_id(bot_env.app.db, 4012)
    assert blocked is not None and not blocked.is_active
    progress = [m for m in boss.messages if "Queued: 4 of 4" in m.text]
    assert len(progress) == 1 and "100%" in progress[0].text  # one message, edited in place


async def test_broadcast_resumes_after_a_restart_without_doubles(bot_env: BotEnv) -> None:
    await _register(bot_env, *range(4020, 4030))
    boss = bot_env.user(ADMIN_ID, language_code="en")
    await boss.send("/admin")
    await boss.reply()
    await boss.press("📣 Broadcast")
    await boss.reply()
    await boss.press("Everyone (11)")
    await boss.reply()
    await boss.send("restart-proof")
    await boss.reply()
    await boss.press("📣 Send")
    await boss.reply()
    await bot_env.restart()
    # Worst case (the fan-out was cut mid-batch): its lock expires after 20 s, then it resumes.
    report = await boss.reply_until(lambda r: "finished" in r.text, timeout=40)
    assert "Delivered: 11" in report.text
    for tid in [*range(4020, 4030), ADMIN_ID]:
        assert sum(m.text == "restart-proof" for m in bot_env.server.chats[tid]) == 1
    assert sum("finished" in m.text for m in boss.messages) == 1


async def test_recent_errors_and_job_monitor(bot_env: BotEnv) -> None:
    boss = bot_env.user(ADMIN_ID, language_code="en")
    await boss.send("/admin")
    await boss.reply()
    await boss.press("⚠️ Recent errors")
    assert "No errors" in (await boss.reply()).text
    await bot_env.app.bus.dead_letter(
        "bot_outgoing", Delivery("bot.outgoing", "1-1", {"payload": "{}"}, 10), "chat <gone>"
    )
    await boss.press("← Back")
    await boss.reply()
    await boss.press("⚠️ Recent errors")
    errors = await boss.reply()
    assert "bot.outgoing" in errors.text and "chat <gone>" in errors.text
    await boss.press("← Back")
    await boss.reply()
    await boss.press("📊 Jobs and queues")
    monitor = await boss.reply()
    assert "bot.outgoing / bot_outgoing" in monitor.text and "In DLQs: 1" in monitor.text
