"""Admin screens (/admin): only for TGASSIST_BOT_ADMIN_IDS."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from tgassist.bot.texts import tr
from tgassist.core.users import UserView

__all__ = ["build_router"]


async def not_admin(message: Message, lang: str) -> None:
    await message.answer(tr(lang, "admin.not_admin"))


def build_router() -> Router:
    router = Router(name="admin")
    router.message.register(not_admin, Command("admin"))
    return router


_ = UserView
