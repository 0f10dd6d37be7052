"""The command menu (setMyCommands) in every language, and the admins' own scope."""

from __future__ import annotations

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from tgassist.core.i18n import LANGUAGES, t

__all__ = ["ADMIN_COMMANDS", "USER_COMMANDS", "register_commands"]

log = structlog.get_logger(__name__)

# In menu order; each description is the key `bot.command.<name>`.
USER_COMMANDS: tuple[str, ...] = (
    "start",
    "menu",
    "new_campaign",
    "history",
    "events",
    "channels",
    "settings",
    "language",
    "help",
    "cancel",
)
ADMIN_COMMANDS: tuple[str, ...] = (*USER_COMMANDS, "admin")


def commands(lang: str, names: tuple[str, ...]) -> list[BotCommand]:
    return [BotCommand(command=n, description=t(f"bot.command.{n}", lang)) for n in names]


async def register_commands(bot: Bot, default_lang: str, admin_ids: frozenset[int]) -> None:
    """Commands for everyone (RU, EN, and the default language for other clients) and, in each
    admin's private chat, the same plus /admin. A failure is logged: the bot works without."""
    scopes: list[tuple[object, tuple[str, ...]]] = [(BotCommandScopeDefault(), USER_COMMANDS)]
    scopes += [(BotCommandScopeChat(chat_id=i), ADMIN_COMMANDS) for i in sorted(admin_ids)]
    for scope, names in scopes:
        for lang in (*LANGUAGES, None):
            try:
                await bot.set_my_commands(
                    commands(lang or default_lang, names),
                    scope=scope,  # type: ignore[arg-type]
                    language_code=lang,
                )
            except TelegramAPIError as err:
                log.warning(
                    "setMyCommands failed", scope=type(scope).__name__, lang=lang, error=str(err)
                )
