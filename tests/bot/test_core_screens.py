"""Core screens over the fake Bot API: /start, menu, help, cancel, language, commands."""

from __future__ import annotations

from tests.bot.conftest import ADMIN_ID, BotEnv


async def test_start_shows_welcome_and_main_menu_in_one_message(bot_env: BotEnv) -> None:
    user = bot_env.user(1001, language_code="en", first_name="Ann")
    await user.send("/start")
    welcome = await user.reply()
    assert "Hello, Ann" in welcome.text and "Main menu" in welcome.text
    assert welcome.button_texts == [
        "📢 Channels",
        "🎟 Events",
        "📈 Campaigns",
        "⚙️ Settings",
        "❓ Help",
    ]


async def test_commands_registered_in_ru_en_and_admin_scope(bot_env: BotEnv) -> None:
    commands = bot_env.server.commands
    ru = [c["command"] for c in commands[("default", "ru")]]
    assert ru[:2] == ["start", "menu"] and "cancel" in ru and "admin" not in ru
    assert commands[("default", "en")][0]["description"] == "Start and the main menu"
    assert commands[("default", "ru")][0]["description"] == "Начало и главное меню"
    admin = [c["command"] for c in commands[(f"chat:{ADMIN_ID}", "en")]]
    assert admin[-1] == "admin"
