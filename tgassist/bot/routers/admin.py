"""/admin for TGASSIST_BOT_ADMIN_IDS: user stats, find a user, block / unblock, limits, broadcasts
(with live progress and a final report), recent errors and the job monitor.

Everyone else gets a clear refusal, for the command and for forged admin buttons alike.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from tgassist.app import App
from tgassist.bot import admin_texts as texts
from tgassist.bot.background import Background
from tgassist.bot.broadcasts import remember_progress_message, run_broadcast
from tgassist.bot.callbacks import AdminCb, Nav
from tgassist.bot.keyboards import button, cancel_keyboard, keyboard, nav_row
from tgassist.bot.screens import answer_callback, show
from tgassist.bot.states import AdminForm
from tgassist.bot.texts import clip, esc, render_error, tr
from tgassist.core import admin
from tgassist.core.errors import LocalizedError
from tgassist.core.users import (
    UserView,
    find_users,
    get_user,
    set_blocked,
    set_limits,
    user_stats,
)

__all__ = ["build_router"]

MAX_QUERY = 100


async def is_admin(event: Any, user: UserView | None = None) -> bool:
    return bool(user and user.is_admin)


async def refuse(event: Message | CallbackQuery, lang: str) -> None:
    if isinstance(event, CallbackQuery):
        await answer_callback(event, tr(lang, "admin.not_admin"), alert=True)
    else:
        await event.answer(tr(lang, "admin.not_admin"))


async def home(event: Message | CallbackQuery, state: FSMContext, app: App, lang: str) -> None:
    await state.clear()
    stats = await user_stats(app.db)
    await show(event, texts.admin_text(lang, stats), texts.admin_keyboard(lang))


async def _card(
    event: Message | CallbackQuery, app: App, lang: str, user_id: int, note: str = ""
) -> None:
    target = await get_user(app.db, user_id)
    if target is None:
        await show(event, tr(lang, "admin.user.gone"), texts.back_keyboard(lang))
        return
    text = (note + "\n\n" if note else "") + texts.user_card(lang, target)
    await show(event, text, texts.user_keyboard(lang, target))


async def on_action(
    query: CallbackQuery,
    callback_data: AdminCb,
    state: FSMContext,
    app: App,
    user: UserView,
    lang: str,
    background: Background,
) -> None:
    action, target = callback_data.action, callback_data.user_id
    if action == "find":
        await state.set_state(AdminForm.find_user)
        await show(query, tr(lang, "admin.find.ask"), cancel_keyboard(lang, "admin"))
    elif action == "user":
        await state.clear()
        await _card(query, app, lang, target)
    elif action in ("block", "unblock"):
        if target == user.id:
            await answer_callback(query, tr(lang, "admin.block.self"), alert=True)
            return
        try:
            await set_blocked(app.db, target, action == "block")
        except LocalizedError as err:
            await show(query, render_error(lang, err), texts.back_keyboard(lang))
            return
        await _card(query, app, lang, target, tr(lang, f"admin.user.{action}ed"))
    elif action == "limits":
        await state.set_state(AdminForm.limits)
        await state.update_data(user_id=target)
        await show(query, tr(lang, "admin.limits.ask"), cancel_keyboard(lang, "admin"))
    elif action == "bc":
        await state.clear()
        await _ask_audience(query, app, lang)
    elif action == "bc_to":
        if callback_data.arg not in admin.AUDIENCES:
            await _ask_audience(query, app, lang)
            return
        await state.set_state(AdminForm.broadcast_text)
        await state.update_data(audience=callback_data.arg)
        await show(query, tr(lang, "admin.broadcast.ask_text"), cancel_keyboard(lang, "admin"))
    elif action == "bc_send":
        await _send_broadcast(query, callback_data, state, app, user, lang, background)
    elif action == "errors":
        errors = await admin.recent_errors(app, extra_stages=_sender_stages())
        await show(query, texts.errors_text(lang, errors), texts.back_keyboard(lang))
    elif action == "monitor":
        view = await admin.job_monitor(app, extra_stages=_sender_stages())
        refresh = button(lang, "admin.b_refresh", AdminCb(action="monitor"))
        await show(
            query, texts.monitor_text(lang, view), keyboard([[refresh], nav_row(lang, "admin")])
        )
    else:
        await home(query, state, app, lang)


def _sender_stages() -> tuple[Any, ...]:
    from tgassist.bot.sender import STAGES

    return STAGES


async def _ask_audience(query: CallbackQuery, app: App, lang: str) -> None:
    stats = await user_stats(app.db)
    rows = [
        [
            button(
                lang,
                "admin.broadcast.to_all",
                AdminCb(action="bc_to", arg="all"),
                count=stats.total,
            )
        ],
        [
            button(
                lang,
                "admin.broadcast.to_active",
                AdminCb(action="bc_to", arg="active"),
                count=stats.active_7d,
            )
        ],
        nav_row(lang, "admin"),
    ]
    await show(query, tr(lang, "admin.broadcast.audience"), keyboard(rows))


async def _send_broadcast(
    query: CallbackQuery,
    callback_data: AdminCb,
    state: FSMContext,
    app: App,
    user: UserView,
    lang: str,
    background: Background,
) -> None:
    data = await state.get_data()
    nonce = callback_data.arg
    # One broadcast per confirmation, even when Send is tapped twice (or by two bot copies).
    fresh = nonce and data.get("nonce") == nonce
    if not fresh or not await app.redis.set(
        f"bot:broadcast:confirm:{nonce}", "1", nx=True, ex=86400
    ):
        await answer_callback(query, tr(lang, "admin.broadcast.already"), alert=True)
        return
    await state.clear()
    try:
        view = await admin.create_broadcast(
            app, created_by=user.id, audience=data["audience"], text=data["text"]
        )
    except LocalizedError as err:
        await show(query, render_error(lang, err), texts.back_keyboard(lang))
        return
    # The preview becomes the progress message, edited in place until the report.
    await show(query, tr(lang, "admin.broadcast.started", id=view.id, total=view.total), None)
    if query.bot is not None and query.message is not None:
        chat_id, message_id = query.message.chat.id, query.message.message_id
        await remember_progress_message(app, view.id, chat_id, message_id, lang)
        background.spawn(run_broadcast(app, query.bot, view.id), name=f"broadcast-{view.id}")


async def on_text(message: Message, state: FSMContext, app: App, user: UserView, lang: str) -> None:
    current = await state.get_state()
    text = message.text
    if text is None:
        await message.answer(
            tr(lang, "bot.settings.need_text"), reply_markup=cancel_keyboard(lang, "admin")
        )
        return
    if current == AdminForm.find_user.state:
        if len(text) > MAX_QUERY:
            await message.answer(
                tr(lang, "admin.find.too_long", limit=MAX_QUERY),
                reply_markup=cancel_keyboard(lang, "admin"),
            )
            return
        found = await find_users(app.db, text, limit=10)
        if not found:
            await message.answer(
                tr(lang, "admin.find.none", query=text), reply_markup=cancel_keyboard(lang, "admin")
            )
            return
        await state.clear()
        rows = [
            [
                button(
                    lang,
                    "admin.find.item",
                    AdminCb(action="user", user_id=u.id),
                    name=u.display_name[:40],
                    telegram_id=u.telegram_id,
                )
            ]
            for u in found
        ]
        rows.append(nav_row(lang, "admin"))
        await message.answer(
            tr(lang, "admin.find.found", count=len(found)), reply_markup=keyboard(rows)
        )
    elif current == AdminForm.limits.state:
        target = int((await state.get_data()).get("user_id", 0))
        try:
            await set_limits(app.db, target, admin.parse_limits(text))
        except LocalizedError as err:
            await message.answer(
                render_error(lang, err), reply_markup=cancel_keyboard(lang, "admin")
            )
            return
        await state.clear()
        await _card(message, app, lang, target, tr(lang, "admin.limits.saved"))
    elif current == AdminForm.broadcast_text.state:
        if len(text) > 4096:
            await message.answer(
                tr(lang, "admin.broadcast.too_long", length=len(text), limit=4096),
                reply_markup=cancel_keyboard(lang, "admin"),
            )
            return
        nonce = secrets.token_urlsafe(9)
        await state.update_data(text=text, nonce=nonce)
        data = await state.get_data()
        rows = [
            [button(lang, "admin.broadcast.send", AdminCb(action="bc_send", arg=nonce))],
            [button(lang, "bot.button.cancel", Nav(to="admin"))],
        ]
        preview = tr(
            lang,
            "admin.broadcast.preview",
            audience=tr(lang, f"admin.broadcast.audience_{data['audience']}"),
        )
        await message.answer(clip(preview + "\n\n" + esc(text)), reply_markup=keyboard(rows))


def build_router() -> Router:
    router = Router(name="admin")
    router.message.register(home, Command("admin"), is_admin)
    router.callback_query.register(home, Nav.filter(F.to == "admin"), is_admin)
    router.callback_query.register(on_action, AdminCb.filter(), is_admin)
    router.message.register(on_text, StateFilter(AdminForm), is_admin, ~F.text.startswith("/"))
    # Everyone else: a clear refusal (a forged admin button included).
    router.message.register(refuse, Command("admin"))
    router.callback_query.register(refuse, AdminCb.filter())
    router.callback_query.register(refuse, Nav.filter(F.to == "admin"))
    return router
