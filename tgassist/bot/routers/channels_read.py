"""Reading the channels in the bot: /search (pages of 5, link and "more like this" buttons), /ask
(and any plain text after it, or sent while the user is in the Channels section), /digest (settings, digest now), /trends (with the chart), and the 👍 / 👎
/ 🔎 buttons of digest items."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from tgassist.bot.keyboards import button, keyboard
from tgassist.bot.screens import answer_callback, show
from tgassist.bot.states import ChannelsFlow
from tgassist.bot.texts import esc, tr
from tgassist.bot.ui.common import error_text, nav_row, pager_row
from tgassist.channels import service
from tgassist.channels.views import DigestSettingsView, SearchHit
from tgassist.core.errors import TgassistError

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.users import UserView

PAGE = 5
MARK_RE = re.compile(r"\*\*(.+?)\*\*")


class ReadFlow(StatesGroup):
    search = State()
    ask = State()
    digest_time = State()
    digest_zone = State()


class ReadCb(CallbackData, prefix="rd"):
    """page (arg = page), more (arg = post id), digest toggles and actions."""

    action: str
    arg: int = 0


def marked(snippet: str) -> str:
    """A search snippet as HTML: escaped, its **matched words** in bold."""
    return MARK_RE.sub(r"<b>\1</b>", esc(snippet))


def _hits_text(lang: str, title: str, hits: list[SearchHit], start: int) -> str:
    lines = [title]
    for n, h in enumerate(hits, start + 1):
        lines.append(
            tr(lang, "search.bot.hit", n=n, channel=h.channel, date=f"{h.date:%Y-%m-%d}")
            + "\n"
            + marked(h.snippet)
        )
    return "\n\n".join(lines)


def _hit_rows(lang: str, hits: list[SearchHit], start: int) -> list[list]:
    rows = []
    for n, h in enumerate(hits, start + 1):
        row = []
        if h.url:
            row.append(InlineKeyboardButton(text=tr(lang, "search.bot.open", n=n), url=h.url))
        row.append(button(lang, "search.bot.more", ReadCb(action="more", arg=h.post_id), n=n))
        rows.append(row)
    return rows


async def _search_page(
    event: Message | CallbackQuery, app: App, user: UserView, query: str, page: int
) -> None:
    lang = user.language
    try:
        res = await service.search_posts(
            app, query, telegram_id=user.telegram_id, limit=PAGE, offset=page * PAGE
        )
    except TgassistError as err:
        await show(event, error_text(err, lang), keyboard([nav_row(lang)]))
        return
    if not res.hits:
        await show(event, tr(lang, "search.no_results", query=query), keyboard([nav_row(lang)]))
        return
    pages = max(1, -(-res.total // PAGE))
    title = tr(lang, "search.bot.results", query=query, total=res.total)
    rows = _hit_rows(lang, list(res.hits), page * PAGE)
    rows.append(pager_row(lang, page, pages, lambda p: ReadCb(action="page", arg=p)))
    rows.append(nav_row(lang))
    await show(event, _hits_text(lang, title, list(res.hits), page * PAGE), keyboard(rows))


async def _answer(message: Message, app: App, user: UserView, question: str) -> None:
    lang = user.language
    try:
        ans = await service.ask_question(app, question, telegram_id=user.telegram_id)
    except TgassistError as err:
        await message.answer(error_text(err, lang))
        return
    if not ans.found:
        await message.answer(tr(lang, ans.message_key or "search.ask.not_found"))
        return
    parts = [esc(ans.text)]
    if ans.message_key:
        parts.append(f"<i>{tr(lang, ans.message_key)}</i>")
    parts.append(tr(lang, "search.bot.sources"))
    parts += [f"[{s.n}] {esc(s.channel)}, {esc(s.source_label)}" for s in ans.sources]
    rows = [
        [InlineKeyboardButton(text=tr(lang, "search.bot.open", n=s.n), url=s.url)]
        for s in ans.sources
        if s.url
    ]
    await message.answer("\n".join(parts), reply_markup=keyboard([*rows, nav_row(lang)]))


def _digest_text(lang: str, s: DigestSettingsView) -> str:
    return tr(
        lang,
        "search.bot.digest",
        state=tr(lang, "search.bot.on" if s.enabled else "search.bot.off"),
        time=s.time_local,
        zone=s.timezone,
        frequency=tr(lang, f"search.bot.{s.frequency}"),
        items=s.items,
    )


def _digest_keyboard(lang: str, s: DigestSettingsView) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                button(
                    lang,
                    "search.bot.turn_off" if s.enabled else "search.bot.turn_on",
                    ReadCb(action="dg_toggle"),
                ),
                button(lang, "search.bot.switch_frequency", ReadCb(action="dg_freq")),
            ],
            [
                button(lang, "search.bot.set_time", ReadCb(action="dg_time")),
                button(lang, "search.bot.set_zone", ReadCb(action="dg_zone")),
            ],
            [button(lang, "search.bot.digest_now", ReadCb(action="dg_now"))],
            nav_row(lang),
        ]
    )


async def _digest_screen(event: Message | CallbackQuery, app: App, user: UserView) -> None:
    s = await service.digest_settings(app, user.telegram_id)
    await show(event, _digest_text(user.language, s), _digest_keyboard(user.language, s))


def build_router() -> Router:
    router = Router(name="channels_read")

    @router.message(Command("search"))
    async def search_cmd(
        message: Message, command: CommandObject, state: FSMContext, app: App, user: UserView
    ) -> None:
        if not command.args:
            await state.set_state(ReadFlow.search)
            await message.answer(tr(user.language, "search.bot.search_prompt"))
            return
        await state.set_state(None)
        await state.update_data(search_query=command.args)
        await _search_page(message, app, user, command.args, 0)

    @router.message(ReadFlow.search, F.text)
    async def search_text(message: Message, state: FSMContext, app: App, user: UserView) -> None:
        await state.set_state(None)
        await state.update_data(search_query=message.text)
        await _search_page(message, app, user, message.text or "", 0)

    @router.callback_query(ReadCb.filter(F.action == "page"))
    async def search_page(
        query: CallbackQuery, callback_data: ReadCb, state: FSMContext, app: App, user: UserView
    ) -> None:
        text = (await state.get_data()).get("search_query")
        if not text:
            await answer_callback(query, tr(user.language, "search.bot.search_prompt"), True)
            return
        await _search_page(query, app, user, text, callback_data.arg)

    @router.callback_query(ReadCb.filter(F.action == "more"))
    async def more(query: CallbackQuery, callback_data: ReadCb, app: App, user: UserView) -> None:
        await _more(query, app, user, callback_data.arg)

    async def _more(query: CallbackQuery, app: App, user: UserView, post_id: int) -> None:
        lang = user.language
        try:
            hits = await service.similar_posts(app, post_id, telegram_id=user.telegram_id)
        except TgassistError as err:
            await answer_callback(query, error_text(err, lang), True)
            return
        await answer_callback(query)
        if isinstance(query.message, Message):
            title = tr(lang, "search.bot.similar")
            rows = [*_hit_rows(lang, hits, 0), nav_row(lang)]
            await query.message.answer(
                _hits_text(lang, title, hits, 0), reply_markup=keyboard(rows)
            )

    @router.message(Command("ask"))
    async def ask_cmd(
        message: Message, command: CommandObject, state: FSMContext, app: App, user: UserView
    ) -> None:
        await state.set_state(ReadFlow.ask)  # later plain texts are questions too
        if not command.args:
            await message.answer(tr(user.language, "search.bot.ask_prompt"))
            return
        await _answer(message, app, user, command.args)

    @router.message(ReadFlow.ask, F.text & ~F.text.startswith("/"))
    @router.message(ChannelsFlow.section, F.text & ~F.text.startswith("/"))
    async def ask_text(message: Message, app: App, user: UserView) -> None:
        await _answer(message, app, user, message.text or "")

    @router.message(Command("digest"))
    async def digest_cmd(message: Message, state: FSMContext, app: App, user: UserView) -> None:
        await state.set_state(None)
        await _digest_screen(message, app, user)

    @router.callback_query(ReadCb.filter(F.action.in_({"dg_toggle", "dg_freq"})))
    async def digest_toggle(
        query: CallbackQuery, callback_data: ReadCb, app: App, user: UserView
    ) -> None:
        s = await service.digest_settings(app, user.telegram_id)
        if callback_data.action == "dg_toggle":
            await service.change_digest_settings(app, user.telegram_id, enabled=not s.enabled)
        else:
            other = "weekly" if s.frequency == "daily" else "daily"
            await service.change_digest_settings(app, user.telegram_id, frequency=other)
        await _digest_screen(query, app, user)

    @router.callback_query(ReadCb.filter(F.action.in_({"dg_time", "dg_zone"})))
    async def digest_ask(
        query: CallbackQuery, callback_data: ReadCb, state: FSMContext, user: UserView
    ) -> None:
        timing = callback_data.action == "dg_time"
        await state.set_state(ReadFlow.digest_time if timing else ReadFlow.digest_zone)
        key = "search.bot.time_prompt" if timing else "search.bot.zone_prompt"
        await show(query, tr(user.language, key), keyboard([nav_row(user.language)]))

    @router.message(ReadFlow.digest_time, F.text)
    @router.message(ReadFlow.digest_zone, F.text)
    async def digest_value(message: Message, state: FSMContext, app: App, user: UserView) -> None:
        field = "time_local" if await state.get_state() == ReadFlow.digest_time else "timezone"
        try:
            await service.change_digest_settings(
                app, user.telegram_id, **{field: (message.text or "").strip()}
            )
        except TgassistError as err:
            await message.answer(error_text(err, user.language))
            return
        await state.set_state(None)
        await _digest_screen(message, app, user)

    @router.callback_query(ReadCb.filter(F.action == "dg_now"))
    async def digest_now(query: CallbackQuery, app: App, user: UserView) -> None:
        view = await service.send_digest_now(app, user.telegram_id)
        key = "search.bot.digest_sent" if view.items else "search.digest.empty"
        await answer_callback(query, tr(user.language, key), True)

    @router.callback_query(F.data.regexp(r"^dg:(up|down|more):\d+$"))
    async def digest_item(query: CallbackQuery, app: App, user: UserView) -> None:
        _, action, post = (query.data or "").split(":")
        if action == "more":
            await _more(query, app, user, int(post))
            return
        try:
            await service.feedback(app, user.telegram_id, int(post), 1 if action == "up" else -1)
        except TgassistError as err:
            await answer_callback(query, error_text(err, user.language), True)
            return
        await answer_callback(query, tr(user.language, f"search.bot.thanks_{action}"))

    @router.message(Command("trends"))
    async def trends_cmd(message: Message, app: App, user: UserView) -> None:
        lang = user.language
        found = await service.trends(app)
        if not found:
            await message.answer(tr(lang, "search.trends.none"))
            return
        lines = [tr(lang, "search.bot.trends", hours=app.settings.channels_trends_window_hours)]
        lines += [
            tr(
                lang,
                "search.bot.trend",
                n=n,
                label=t.label,
                posts=t.window_count,
                channels=len(t.channels),
            )
            for n, t in enumerate(found[:10], 1)
        ]
        await message.answer("\n".join(lines), reply_markup=keyboard([nav_row(lang)]))
        png = service.chart_png(found[0])
        await message.answer_photo(
            BufferedInputFile(png, filename="trend.png"), caption=esc(found[0].label)
        )

    return router


__all__ = ["build_router"]
