"""Bad input on the core screens: a clear answer each time, nothing half-written."""

from __future__ import annotations

from tests.bot.conftest import BotEnv
from tgassist.campaigns.account import get_account
from tgassist.core.outgoing import enqueue_message
from tgassist.core.users import get_by_telegram_id


async def test_sticker_photo_voice_where_text_is_expected(bot_env: BotEnv) -> None:
    user = bot_env.user(5001, language_code="en")
    await user.send("/settings")
    await user.reply()
    await user.press("💰 Budget")
    await user.reply()
    await user.send_sticker()
    assert "I need text here" in (await user.reply()).text
    await user.send_photo()
    assert "I need text here" in (await user.reply()).text
    await user.send_voice()
    assert "I need text here" in (await user.reply()).text
    await user.send("50000")  # still at the same question
    assert "Default budget: 50 000" in (await user.reply()).text


async def test_media_and_unknown_commands_outside_any_step(bot_env: BotEnv) -> None:
    user = bot_env.user(5002, language_code="ru")
    await user.send_voice()
    voice = await user.reply()
    assert "голосовое сообщение" in voice.text and "📢 Каналы" in voice.button_texts
    await user.send("/unknown_thing")
    assert "Не знаю команду /unknown_thing" in (await user.reply()).text
    await user.send("🎉🎉🎉")
    emoji = await user.reply()
    assert "Не понял" in emoji.text and emoji.button_texts


async def test_ten_thousand_characters_get_a_clear_answer(bot_env: BotEnv) -> None:
    user = bot_env.user(5003, language_code="en")
    await user.send("x" * 10_000)
    assert "didn't understand" in (await user.reply()).text
    await user.send("/settings")
    await user.reply()
    await user.press("📧 Google e-mail")
    await user.reply()
    await user.send("a" * 10_000 + "@example.com")
    assert "too long (over 1000 characters)" in (await user.reply()).text
    me = await get_by_telegram_id(bot_env.app.db, user.id)
    assert me is not None and (await get_account(bot_env.app, me.id)).google_email is None


async def test_html_in_user_input_is_shown_as_typed(bot_env: BotEnv) -> None:
    user = bot_env.user(5004, language_code="en", first_name="<b>Eve</b> & co")
    await user.send("/start")
    assert "Hello, <b>Eve</b> & co!" in (await user.reply()).text


async def test_language_switch_changes_every_screen(bot_env: BotEnv) -> None:
    user = bot_env.user(5005, language_code="de")  # unknown: the install's default (ru)
    await user.send("/language")
    choose = await user.reply()
    assert choose.text == "Выберите язык:"
    await user.press("🇬🇧 English")
    saved = await user.reply()
    assert "Language: English." in saved.text and "📢 Channels" in saved.button_texts
    await user.send("/help")
    assert "/cancel: leave any wizard" in (await user.reply()).text


async def test_help_menu_and_back_on_every_core_screen(bot_env: BotEnv) -> None:
    user = bot_env.user(5006, language_code="en")
    await user.send("/menu")
    await user.reply()
    await user.press("❓ Help")
    help_ = await user.reply()
    assert help_.is_edit and help_.button_texts == ["☰ Menu"]
    await user.press("☰ Menu")
    assert "Main menu" in (await user.reply()).text
    await user.press("⚙️ Settings")
    settings = await user.reply()
    assert settings.button_texts[-1] == "☰ Menu"
    await user.press("🌐 Language")
    assert (await user.reply()).button_texts[-2:] == ["← Back", "☰ Menu"]
    await user.press("← Back")
    back = await user.reply()
    assert back.text.startswith("Settings\nLanguage: ") and back.is_edit


async def test_messages_from_any_process_are_delivered_by_the_bot_role(bot_env: BotEnv) -> None:
    user = bot_env.user(5007, language_code="en")
    await user.send("/start")
    await user.reply()
    async with bot_env.app.db.session() as session:
        await enqueue_message(
            session, chat_id=user.id, key="bot.cancel.nothing", dedupe_key="test:5007:1"
        )
        await enqueue_message(
            session, chat_id=user.id, key="bot.cancel.nothing", dedupe_key="test:5007:1"
        )
    assert (await user.reply(timeout=10)).text == "There is nothing to cancel."
    await user.no_reply(1.0)  # the same dedupe key is sent once
