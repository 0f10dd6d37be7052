"""Channels: follow by @username, a t.me link or a forwarded post; "My channels" with each
channel's status (posts, last parsed); unfollow (confirmed). Pages of 5, Back / Menu everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, MessageOriginChannel

from tgassist.bot.callbacks import Nav
from tgassist.bot.screens import show
from tgassist.bot.states import ChannelsFlow
from tgassist.bot.ui import channels as ui
from tgassist.bot.ui.common import alert_text, error_text, show_in_place
from tgassist.channels import service
from tgassist.core.errors import TgassistError
from tgassist.core.i18n import t

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.users import UserView


async def _home(message: Message, app: App, user: UserView, edit: bool = False) -> None:
    lang = user.language
    page = await service.my_channels(app, user.id)
    text = t("bot.channels.home", lang, n=page.total)
    if edit:
        await show_in_place(message, text, reply_markup=ui.home_keyboard(lang))
    else:
        await message.answer(text, reply_markup=ui.home_keyboard(lang))


async def _ask_follow(message: Message, state: FSMContext, lang: str, error: str = "") -> None:
    await state.set_state(ChannelsFlow.follow)
    text = t("bot.channels.ask.follow", lang)
    await message.answer((error + "\n\n" if error else "") + text, reply_markup=ui.back_home(lang))


async def _follow(
    message: Message, state: FSMContext, app: App, user: UserView, **ref: object
) -> None:
    lang = user.language
    try:
        result = await service.follow(app, user.id, **ref)  # type: ignore[arg-type]
    except TgassistError as err:
        await _ask_follow(message, state, lang, error_text(err, lang))
        return
    await state.set_state(ChannelsFlow.section)
    await message.answer(
        ui.followed_text(lang, result.channel, result.created),
        reply_markup=ui.followed_keyboard(lang),
    )


def build_router() -> Router:
    router = Router(name="channels")

    @router.message(Command("channels"))
    async def channels_cmd(message: Message, state: FSMContext, app: App, user: UserView) -> None:
        await state.set_state(ChannelsFlow.section)
        await _home(message, app, user)

    @router.callback_query(Nav.filter(F.to == "channels"))
    async def channels_menu(
        query: CallbackQuery, state: FSMContext, app: App, user: UserView
    ) -> None:
        await state.clear()
        await state.set_state(ChannelsFlow.section)
        page = await service.my_channels(app, user.id)
        lang = user.language
        await show(query, t("bot.channels.home", lang, n=page.total), ui.home_keyboard(lang))

    @router.message(ChannelsFlow.follow, F.forward_origin)
    async def follow_forward(message: Message, state: FSMContext, app: App, user: UserView) -> None:
        origin = message.forward_origin
        if not isinstance(origin, MessageOriginChannel):
            await _ask_follow(
                message, state, user.language, t("bot.channels.not_a_channel_post", user.language)
            )
            return
        chat = origin.chat
        await _follow(
            message, state, app, user, username=chat.username, telegram_id=chat.id, title=chat.title
        )

    @router.message(ChannelsFlow.follow, F.text)
    async def follow_text(message: Message, state: FSMContext, app: App, user: UserView) -> None:
        await _follow(message, state, app, user, username=(message.text or "")[:300])

    @router.message(ChannelsFlow.follow)
    async def follow_other(message: Message, state: FSMContext, user: UserView) -> None:
        await _ask_follow(message, state, user.language, t("bot.channels.need_ref", user.language))

    @router.callback_query(ui.ChannelCb.filter())
    async def channels_button(
        query: CallbackQuery,
        callback_data: ui.ChannelCb,
        state: FSMContext,
        app: App,
        user: UserView,
    ) -> None:
        lang = user.language
        message = query.message
        cb = callback_data
        if not isinstance(message, Message):
            await query.answer(t("bot.channels.stale", lang), show_alert=True)
            return
        try:
            if cb.action == "home":
                await state.set_state(ChannelsFlow.section)
                await query.answer()
                await _home(message, app, user, edit=True)
            elif cb.action == "follow":
                await query.answer()
                await _ask_follow(message, state, lang)
            elif cb.action == "list":
                await state.set_state(ChannelsFlow.section)
                page = await service.my_channels(app, user.id, page=cb.page)
                await query.answer()
                await show_in_place(
                    message, ui.list_text(lang, page), reply_markup=ui.list_keyboard(lang, page)
                )
            elif cb.action == "card":
                c = await service.followed_channel(app, user.id, cb.id)
                await query.answer()
                await show_in_place(
                    message, ui.card_text(lang, c), reply_markup=ui.card_keyboard(lang, c, cb.page)
                )
            elif cb.action == "unfollow":
                c = await service.followed_channel(app, user.id, cb.id)
                await query.answer()
                await show_in_place(
                    message,
                    t("bot.channels.unfollow_confirm", lang, name=ui.esc(c.label)),
                    reply_markup=ui.unfollow_keyboard(lang, c, cb.page),
                )
            elif cb.action == "unfollow_ok":
                c = await service.unfollow(app, user.id, cb.id)
                await query.answer(t("bot.channels.unfollowed", lang, name=c.label))
                page = await service.my_channels(app, user.id, page=cb.page)
                await show_in_place(
                    message, ui.list_text(lang, page), reply_markup=ui.list_keyboard(lang, page)
                )
            else:
                await query.answer(t("bot.channels.stale", lang), show_alert=True)
        except TgassistError as err:
            await query.answer(alert_text(err, lang), show_alert=True)

    return router
