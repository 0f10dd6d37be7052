"""The Telegram bot (aiogram 3): long polling inside `tgassist run` / `tgassist bot`.

Product screens plug in as routers in later work; today it greets, registers the user and says
what the install offers.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog
from aiogram import Bot, Dispatcher, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from sqlalchemy import select

from tgassist.core.db import utcnow
from tgassist.core.models import User

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

HELP_RU = (
    "Я — tgassist.\n"
    "• Каналы: слежу за Telegram-каналами, ищу по постам, присылаю дайджесты.\n"
    "• События: афиша KudaGo, BaliForum и календарей с напоминаниями.\n"
    "• Кампании: собираю кампанию Яндекс Директа по короткому брифу.\n"
    "Команды: /start, /help"
)


async def remember_user(
    app: App,
    tg_user_id: int,
    username: str | None,
    first: str | None,
    last: str | None,
    language: str | None,
) -> User:
    """Create or refresh the `users` row of a Telegram user."""
    async with app.db.session() as session:
        user = await session.scalar(select(User).where(User.telegram_id == tg_user_id))
        if user is None:
            user = User(telegram_id=tg_user_id, language=(language or "ru")[:8])
            session.add(user)
        user.username, user.first_name, user.last_name = username, first, last
        user.last_activity_at = utcnow()
    return user


def build_router(app: App) -> Router:
    router = Router(name="core")

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        u = message.from_user
        if u is not None:
            await remember_user(app, u.id, u.username, u.first_name, u.last_name, u.language_code)
        await message.answer(HELP_RU)

    @router.message(Command("help"))
    async def help_(message: Message) -> None:
        await message.answer(HELP_RU)

    return router


async def run_bot(app: App, stop: asyncio.Event) -> None:
    """Poll Telegram until `stop` is set."""
    assert app.settings.bot_token is not None
    bot = Bot(app.settings.bot_token.get_secret_value())
    dp = Dispatcher()
    dp.include_router(build_router(app))
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=True)
    )
    log.info("bot polling started")
    await stop.wait()
    try:
        await dp.stop_polling()
    except RuntimeError:  # polling already ended (e.g. a bad token)
        pass
    await asyncio.gather(polling, return_exceptions=True)
