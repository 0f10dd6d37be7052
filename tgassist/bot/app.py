"""The bot role: one aiogram `Bot` + `Dispatcher` per process, long polling or webhook.

`run_bot(app, stop)` is what `tgassist run` / `tgassist bot` start: it registers the commands,
runs the `bot.outgoing` sender stage and then polls Telegram (or, with TGASSIST_BOT_WEBHOOK_URL,
sets the webhook that the API serves) until `stop` is set.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from tgassist.core.errors import ConfigError

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.settings import Settings

log = structlog.get_logger(__name__)

__all__ = ["create_bot", "run_bot"]


def create_bot(settings: Settings) -> Bot:
    """A Bot for the configured token, talking to api.telegram.org or TGASSIST_BOT_API_URL."""
    if settings.bot_token is None:
        raise ConfigError("TGASSIST_BOT_TOKEN is not set: the bot cannot start")
    session = None
    if settings.bot_api_url:
        server = TelegramAPIServer.from_base(settings.bot_api_url.rstrip("/"))
        session = AiohttpSession(api=server)
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


async def run_bot(app: App, stop: asyncio.Event) -> None:
    """Serve Telegram until `stop` is set."""
    from tgassist.bot.commands import register_commands
    from tgassist.bot.dispatcher import build_dispatcher

    bot = create_bot(app.settings)
    dp = build_dispatcher(app)
    try:
        await register_commands(bot, app.settings.language, app.settings.admin_ids)
        polling = asyncio.create_task(
            dp.start_polling(
                bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=app.settings.bot_polling_timeout_sec,
            )
        )
        log.info("bot polling started")
        await stop.wait()
        try:
            await dp.stop_polling()
        except RuntimeError:  # polling already ended (e.g. a bad token)
            pass
        await asyncio.gather(polling, return_exceptions=True)
    finally:
        await bot.session.close()
