"""Inline keyboards of the core screens; every button's text is a message key.

A keyboard that depends on the language alone is built once per language and shared (building
one is a few dozen pydantic objects and catalogue lookups, on every update that shows it):
callers pass it to Telegram as it is and never change it."""

from __future__ import annotations

from functools import lru_cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from tgassist.bot.callbacks import LangCb, Nav
from tgassist.core.i18n import LANGUAGES, t

__all__ = ["button", "cancel_keyboard", "keyboard", "language_keyboard", "main_menu", "nav_row"]


def button(
    lang: str, key: str, data: CallbackData | str, /, **params: object
) -> InlineKeyboardButton:
    packed = data.pack() if isinstance(data, CallbackData) else data
    return InlineKeyboardButton(text=t(key, lang, **params), callback_data=packed)


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def nav_row(lang: str, back: str | None = None) -> list[InlineKeyboardButton]:
    """Back (to the screen `back`) and Menu; top-level screens have Menu only."""
    row = []
    if back and back != "menu":
        row.append(button(lang, "bot.button.back", Nav(to=back)))
    row.append(button(lang, "bot.button.menu", Nav(to="menu")))
    return row


@lru_cache(maxsize=64)
def main_menu(lang: str) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                button(lang, "bot.menu.channels", Nav(to="channels")),
                button(lang, "bot.menu.events", Nav(to="events")),
            ],
            [
                button(lang, "bot.menu.campaigns", Nav(to="campaigns")),
                button(lang, "bot.menu.settings", Nav(to="settings")),
            ],
            [button(lang, "bot.menu.help", Nav(to="help"))],
        ]
    )


@lru_cache(maxsize=64)
def language_keyboard(lang: str, back: str = "settings") -> InlineKeyboardMarkup:
    return keyboard(
        [
            [button(lang, f"bot.language.name_{code}", LangCb(code=code)) for code in LANGUAGES],
            nav_row(lang, back),
        ]
    )


@lru_cache(maxsize=64)
def cancel_keyboard(lang: str, back: str) -> InlineKeyboardMarkup:
    """Under a question the user answers by typing: Cancel goes back to `back`."""
    return keyboard(
        [
            [
                button(lang, "bot.button.cancel", Nav(to=back)),
                button(lang, "bot.button.menu", Nav(to="menu")),
            ]
        ]
    )
