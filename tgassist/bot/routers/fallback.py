"""Last router: whatever no screen handled still gets an answer (never silence).

A button no handler knows (from an older version, or forged) says it is outdated and shows the
menu; a sticker, photo or voice where text is expected says what to send; unknown commands and
free text point to the menu.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from tgassist.bot.keyboards import keyboard, main_menu, nav_row
from tgassist.bot.screens import answer_callback
from tgassist.bot.texts import tr

__all__ = ["build_router"]


def _content(message: Message) -> str:
    """What kind of thing the user sent, for the answer's wording."""
    for kind in ("sticker", "photo", "voice", "video", "video_note", "audio", "animation",
                 "document", "location", "contact", "poll"):  # fmt: skip
        if getattr(message, kind, None):
            return kind
    return "text" if message.text is not None else "other"


async def any_message(message: Message, state: FSMContext, lang: str) -> None:
    kind = _content(message)
    in_step = await state.get_state() is not None
    if in_step and kind != "text":
        what = tr(lang, f"bot.content.{kind}") if kind != "other" else tr(lang, "bot.content.other")
        await message.answer(
            tr(lang, "bot.fallback.expects_text", what=what), reply_markup=keyboard([nav_row(lang)])
        )
        return
    if kind == "text" and (message.text or "").startswith("/"):
        command = (message.text or "").split()[0][:40]
        await message.answer(
            tr(lang, "bot.fallback.unknown_command", command=command), reply_markup=main_menu(lang)
        )
        return
    if kind == "text":
        await message.answer(tr(lang, "bot.fallback.text"), reply_markup=main_menu(lang))
        return
    what = tr(lang, f"bot.content.{kind}") if kind != "other" else tr(lang, "bot.content.other")
    await message.answer(tr(lang, "bot.fallback.media", what=what), reply_markup=main_menu(lang))


async def any_callback(query: CallbackQuery, lang: str) -> None:
    await answer_callback(query, tr(lang, "bot.fallback.stale_button"), alert=True)
    if query.bot is not None:
        await query.bot.send_message(
            query.from_user.id,
            tr(lang, "bot.menu.title", name=query.from_user.first_name),
            reply_markup=main_menu(lang),
        )


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.register(any_message)
    router.callback_query.register(any_callback)
    return router
