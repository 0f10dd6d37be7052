"""What every product screen shares: HTML escaping, the progress bar, Back / Menu buttons,
pagination rows and the rendering of a service error in the user's language."""

from __future__ import annotations

from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from tgassist.bot.callbacks import Nav
from tgassist.bot.keyboards import button
from tgassist.bot.texts import clip, esc
from tgassist.core.errors import LocalizedError, TgassistError
from tgassist.core.i18n import t

__all__ = [
    "alert_text",
    "bar",
    "button",
    "show_in_place",
    "error_text",
    "esc",
    "nav_row",
    "pager_row",
]

MENU_CALLBACK = Nav(to="menu").pack()  # the main menu (the core router answers it)
BAR_WIDTH = 10


def bar(percent: int) -> str:
    full = max(0, min(BAR_WIDTH, round(percent * BAR_WIDTH / 100)))
    return "▓" * full + "░" * (BAR_WIDTH - full)


def nav_row(lang: str, back: CallbackData | str | None = None) -> list[InlineKeyboardButton]:
    """Back (to the screen before) and Menu, the last row of every screen."""
    row = [button(lang, "bot.button.back", back)] if back is not None else []
    row.append(button(lang, "bot.button.menu", MENU_CALLBACK))
    return row


def pager_row(lang: str, page: int, pages: int, make: Any) -> list[InlineKeyboardButton]:
    """« page/pages » where `make(page)` gives the callback data of another page."""
    if pages <= 1:
        return []
    row = []
    if page > 0:
        row.append(button(lang, "bot.pager.prev", make(page - 1)))
    row.append(button(lang, "bot.pager.page", make(page), page=page + 1, pages=pages))
    if page < pages - 1:
        row.append(button(lang, "bot.pager.next", make(page + 1)))
    return row


def error_text(err: BaseException, lang: str) -> str:
    """A service error as the user reads it (a key in their language, else the message)."""
    from tgassist.campaigns.exceptions import BriefError

    if isinstance(err, BriefError):  # one step's field: its errors, without the field name
        return "\n".join(field_error_text(e, lang) for e in err.errors)
    if isinstance(err, LocalizedError):
        return esc(err.render(lang))
    if isinstance(err, TgassistError):
        return esc(err)
    raise err


async def show_in_place(
    message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Show a screen in place of the pressed message: the same screen again is not an error, and
    a message too old to edit gets the screen as a new message."""
    text = clip(text)
    try:
        await message.edit_text(text, reply_markup=reply_markup)
    except TelegramBadRequest as err:
        if "not modified" in err.message:
            return
        await message.answer(text, reply_markup=reply_markup)


def alert_text(err: BaseException, lang: str) -> str:
    """A service error for a button's pop-up (plain text, at most 200 characters)."""
    import html

    text = html.unescape(error_text(err, lang))
    return text if len(text) <= 200 else text[:199] + "…"


def field_error_text(error: Any, lang: str) -> str:
    """One brief field error: its key when the brief gives one, else its message."""
    key = getattr(error, "key", None)
    if key:
        return esc(t(key, lang, **dict(getattr(error, "params", {}) or {})))
    return esc(getattr(error, "message", error))
