"""Core screens: /start and the main menu, /help, /menu, /cancel, /language.

Registered first, so these commands work in any wizard step (a wizard never swallows /cancel).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from tgassist.app import App
from tgassist.bot.callbacks import LangCb, Nav
from tgassist.bot.keyboards import keyboard, language_keyboard, main_menu, nav_row
from tgassist.bot.screens import show
from tgassist.bot.texts import render_error, tr
from tgassist.core.errors import LocalizedError
from tgassist.core.users import UserView, set_language

__all__ = ["build_router"]


async def show_menu(event: Message | CallbackQuery, lang: str, user: UserView) -> None:
    await show(event, tr(lang, "bot.menu.title", name=user.first_name or ""), main_menu(lang))


async def start(message: Message, state: FSMContext, lang: str, user: UserView) -> None:
    """The welcome and the main menu in one message: the menu's buttons sit under the words that
    explain them (and a second message could arrive after the user's next tap)."""
    await state.clear()
    name = user.first_name or ""
    text = tr(lang, "bot.start.welcome", name=name) + "\n\n" + tr(lang, "bot.menu.title", name=name)
    await show(message, text, main_menu(lang))


async def menu(
    event: Message | CallbackQuery, state: FSMContext, lang: str, user: UserView
) -> None:
    await state.clear()
    await show_menu(event, lang, user)


async def help_(
    event: Message | CallbackQuery, state: FSMContext, lang: str, user: UserView
) -> None:
    await state.clear()
    text = tr(lang, "bot.help.text")
    if user.is_admin:
        text += "\n" + tr(lang, "bot.help.admin")
    await show(event, text, keyboard([nav_row(lang)]))


async def cancel(message: Message, state: FSMContext, lang: str, user: UserView) -> None:
    was = await state.get_state()
    await state.clear()
    await message.answer(tr(lang, "bot.cancel.done" if was else "bot.cancel.nothing"))
    await show_menu(message, lang, user)


async def language(event: Message | CallbackQuery, state: FSMContext, lang: str) -> None:
    await state.clear()
    await show(event, tr(lang, "bot.language.choose"), language_keyboard(lang))


async def language_chosen(
    query: CallbackQuery, callback_data: LangCb, app: App, user: UserView
) -> None:
    try:
        user = await set_language(app.db, user.id, callback_data.code)
    except LocalizedError as err:  # a forged or outdated code
        await show(query, render_error(user.language, err), language_keyboard(user.language))
        return
    lang = user.language
    text = (
        tr(lang, "bot.language.saved")
        + "\n\n"
        + tr(lang, "bot.menu.title", name=user.first_name or "")
    )
    await show(query, text, main_menu(lang))


def build_router() -> Router:
    router = Router(name="core")
    router.message.register(start, CommandStart())
    router.message.register(menu, Command("menu"))
    router.callback_query.register(menu, Nav.filter(F.to == "menu"))
    router.message.register(help_, Command("help"))
    router.callback_query.register(help_, Nav.filter(F.to == "help"))
    router.message.register(cancel, Command("cancel"))
    router.message.register(language, Command("language"))
    router.callback_query.register(language, Nav.filter(F.to == "language"))
    router.callback_query.register(language_chosen, LangCb.filter())
    return router
