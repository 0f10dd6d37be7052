"""Campaign history: pages of 5 with a status filter and totals, a card per campaign with
Download XLSX / CSV, Repeat and Delete (confirmed). Every id in a button is checked against the
pressing user: another user's campaign is answered as not found."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from tgassist.bot.states import leave_section
from tgassist.bot.ui import campaigns as ui
from tgassist.bot.ui.build_watch import open_progress, send_files
from tgassist.bot.ui.common import alert_text, show_in_place
from tgassist.campaigns import service
from tgassist.core.errors import TgassistError
from tgassist.core.i18n import t

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.users import UserView


async def show_page(
    message: Message,
    app: App,
    user: UserView,
    page: int = 0,
    status: str = "all",
    edit: bool = False,
) -> None:
    lang = user.language
    view = await service.history_page(app, user.id, status=status, page=page)
    text, markup = ui.history_text(lang, view), ui.history_keyboard(lang, view)
    if edit:
        await show_in_place(message, text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


def build_router() -> Router:
    router = Router(name="campaign_history")

    @router.message(Command("history"))
    async def history_cmd(message: Message, state: FSMContext, app: App, user: UserView) -> None:
        await leave_section(state)
        await show_page(message, app, user)

    @router.callback_query(ui.HistoryCb.filter())
    async def history_button(
        query: CallbackQuery, callback_data: ui.HistoryCb, app: App, user: UserView, bot: Bot
    ) -> None:
        lang = user.language
        message = query.message
        if not isinstance(message, Message):
            await query.answer(t("bot.campaigns.stale", lang), show_alert=True)
            return
        cb = callback_data
        try:
            if cb.action == "list":
                await query.answer()
                await show_page(message, app, user, cb.page, cb.status, edit=True)
            elif cb.action == "card":
                card = await service.campaign_card(app, user.id, cb.id)
                await query.answer()
                await show_in_place(
                    message,
                    ui.card_text(lang, card),
                    reply_markup=ui.card_keyboard(lang, card, cb.page, cb.status),
                )
            elif cb.action in service.FORMATS:
                await service.campaign_card(app, user.id, cb.id)  # ownership before any work
                await query.answer(t("bot.campaigns.sending_file", lang))
                await send_files(bot, app, message.chat.id, user.id, cb.id, lang, (cb.action,))
            elif cb.action == "repeat":
                card = await service.campaign_card(app, user.id, cb.id)
                started = await service.repeat_from_history(app, user.id, cb.id)
                await query.answer(t("bot.campaigns.started", lang))
                await open_progress(bot, app, message.chat.id, user.id, lang, started, card.name)
            elif cb.action == "delete":
                card = await service.campaign_card(app, user.id, cb.id)
                await query.answer()
                await show_in_place(
                    message,
                    t("bot.campaigns.delete_confirm", lang, name=ui.esc(card.name), id=card.id),
                    reply_markup=ui.delete_keyboard(lang, card.id, cb.page, cb.status),
                )
            elif cb.action == "delete_ok":
                name = await service.delete_from_history(app, user.id, cb.id)
                await query.answer(t("bot.campaigns.deleted", lang, name=name))
                await show_page(message, app, user, cb.page, cb.status, edit=True)
            else:
                await query.answer(t("bot.campaigns.stale", lang), show_alert=True)
        except TgassistError as err:
            await query.answer(alert_text(err, lang), show_alert=True)

    return router
