"""Showing a screen: a new message for a typed command, the same message edited in place for a
button press (a menu does not scroll the chat away)."""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from tgassist.bot.texts import clip

__all__ = ["answer_callback", "show"]


async def answer_callback(
    query: CallbackQuery, text: str | None = None, alert: bool = False
) -> None:
    """Stop the button's spinner; a query answered already (or too old) is not an error."""
    with contextlib.suppress(TelegramBadRequest):
        await query.answer(text, show_alert=alert)


async def show(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    text = clip(text)
    if isinstance(event, Message):
        await event.answer(text, reply_markup=markup)
        return
    await answer_callback(event)
    message = event.message
    if isinstance(message, Message) and message.text is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as err:
            if "message is not modified" in str(err):
                return
            # Too old to edit, or gone: show it as a new message instead.
    if event.bot is not None:
        await event.bot.send_message(event.from_user.id, text, reply_markup=markup)
