"""Events: city → today / tomorrow / weekend / a typed date; nearby by a shared location with a
radius; text search; cards in the user's language with save / unsave and reminders; "My events".
Every list is paged; every screen has Back / Menu."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

from tgassist.bot.callbacks import Nav
from tgassist.bot.screens import show
from tgassist.bot.ui import events as ui
from tgassist.bot.ui.common import alert_text, error_text, show_in_place
from tgassist.core.db import utcnow
from tgassist.core.errors import LocalizedError, TgassistError
from tgassist.core.i18n import t
from tgassist.events import service
from tgassist.events.views import WHEN, EventsPage

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.users import UserView

MAX_QUERY = 200


class EventsFlow(StatesGroup):
    date = State()
    search = State()
    location = State()


async def _home(message: Message, app: App, lang: str, edit: bool = False) -> None:
    text, markup = t("bot.events.home", lang), ui.home_keyboard(lang, service.cities(app))
    if edit:
        await show_in_place(message, text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


async def _page(
    app: App, user: UserView, state: FSMContext, cb: ui.EventCb
) -> tuple[str, EventsPage, str]:
    """The page a list callback names, its title and the query it was made for."""
    lang = user.language
    data = await state.get_data()
    query = ""
    if cb.src == "c":
        when: object = cb.when
        if cb.when not in WHEN:
            when = service.parse_date(cb.when, utcnow().date())
        page = await service.city_page(app, cb.city, when, lang=lang, page=cb.page)  # type: ignore[arg-type]
    elif cb.src == "n":
        loc = data.get("ev_location")
        if not loc:
            raise _NeedLocation
        page = await service.nearby_page(app, loc[0], loc[1], cb.r, lang=lang, page=cb.page)
    elif cb.src == "s":
        query = str(data.get("ev_query") or "")
        page = await service.search_page(app, query, lang=lang, page=cb.page)
    else:
        page = await service.saved_page(app, user.id, lang=lang, page=cb.page)
    return ui.list_title(lang, cb.src, cb.city, cb.when, cb.r), page, query


class _NeedLocation(Exception):
    """A nearby list whose location is gone from the FSM (expired): ask for it again."""


def _back_of(cb: ui.EventCb) -> ui.EventCb:
    if cb.src == "c":
        return ui.EventCb(action="city", city=cb.city)
    if cb.src == "n":
        return ui.EventCb(action="near_again")
    return ui.EventCb(action="home")


async def _show_list(
    message: Message, app: App, user: UserView, state: FSMContext, cb: ui.EventCb, edit: bool
) -> None:
    lang = user.language
    title, page, query = await _page(app, user, state, cb)
    base = cb.model_copy(update={"action": "list", "id": 0})
    text = ui.list_text(lang, title, page, query)
    markup = ui.list_keyboard(lang, page, base, _back_of(cb))
    if edit:
        await show_in_place(message, text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


async def _ask_location(message: Message, state: FSMContext, lang: str) -> None:
    await state.set_state(EventsFlow.location)
    await message.answer(
        t("bot.events.ask.location", lang), reply_markup=ui.location_keyboard(lang)
    )
    await message.answer(t("bot.events.ask.location_hint", lang), reply_markup=ui.back_home(lang))


def build_router() -> Router:
    router = Router(name="events")

    @router.message(Command("events"))
    async def events_cmd(message: Message, state: FSMContext, app: App, user: UserView) -> None:
        await state.set_state(None)
        await _home(message, app, user.language)

    @router.callback_query(Nav.filter(F.to == "events"))
    async def events_menu(
        query: CallbackQuery, state: FSMContext, app: App, user: UserView
    ) -> None:
        await state.clear()
        lang = user.language
        await show(query, t("bot.events.home", lang), ui.home_keyboard(lang, service.cities(app)))

    @router.message(F.location)
    async def location(message: Message, state: FSMContext, user: UserView) -> None:
        lang = user.language
        loc = message.location
        assert loc is not None
        await state.set_state(None)
        await state.update_data(ev_location=[loc.latitude, loc.longitude])
        await message.answer(
            t("bot.events.location_received", lang), reply_markup=ReplyKeyboardRemove()
        )
        await message.answer(
            t("bot.events.ask.radius", lang), reply_markup=ui.radius_keyboard(lang)
        )

    @router.message(EventsFlow.location)
    async def location_expected(message: Message, state: FSMContext, user: UserView) -> None:
        await _ask_location(message, state, user.language)

    @router.message(EventsFlow.search, F.text)
    async def search_text(message: Message, state: FSMContext, app: App, user: UserView) -> None:
        lang = user.language
        query = (message.text or "").strip()
        if len(query) > MAX_QUERY:
            await message.answer(
                t("events.browse.query_too_long", lang, limit=100), reply_markup=ui.back_home(lang)
            )
            return
        await state.update_data(ev_query=query)
        try:
            await _show_list(
                message, app, user, state, ui.EventCb(action="list", src="s"), edit=False
            )
        except TgassistError as err:
            await message.answer(
                error_text(err, lang) + "\n" + t("bot.events.ask.search", lang),
                reply_markup=ui.back_home(lang),
            )
            return
        await state.set_state(None)

    @router.message(EventsFlow.date, F.text)
    async def date_text(message: Message, state: FSMContext, app: App, user: UserView) -> None:
        lang = user.language
        data = await state.get_data()
        city = str(data.get("ev_city") or "")
        try:
            day = service.parse_date((message.text or "")[:40], utcnow().date())
        except TgassistError as err:
            await message.answer(
                error_text(err, lang) + "\n" + t("bot.events.ask.date", lang),
                reply_markup=ui.when_keyboard(lang, city),
            )
            return
        await state.set_state(None)
        cb = ui.EventCb(action="list", src="c", city=city, when=day.isoformat())
        try:
            await _show_list(message, app, user, state, cb, edit=False)
        except TgassistError as err:
            await message.answer(error_text(err, lang), reply_markup=ui.back_home(lang))

    @router.message(StateFilter(EventsFlow.search, EventsFlow.date))
    async def need_text(message: Message, state: FSMContext, user: UserView) -> None:
        lang = user.language
        key = (
            "bot.events.ask.search"
            if await state.get_state() == EventsFlow.search.state
            else "bot.events.ask.date"
        )
        await message.answer(
            t("bot.events.need_text", lang) + "\n" + t(key, lang), reply_markup=ui.back_home(lang)
        )

    @router.callback_query(ui.EventCb.filter())
    async def events_button(
        query: CallbackQuery, callback_data: ui.EventCb, state: FSMContext, app: App, user: UserView
    ) -> None:
        lang = user.language
        message = query.message
        cb = callback_data
        if not isinstance(message, Message):
            await query.answer(t("bot.events.stale", lang), show_alert=True)
            return
        try:
            if cb.action == "home":
                await state.set_state(None)
                await query.answer()
                await _home(message, app, lang, edit=True)
            elif cb.action == "city":
                if cb.city not in {c.code for c in service.cities(app)}:
                    raise LocalizedError("events.browse.unknown_city", value=cb.city)
                await query.answer()
                await show_in_place(
                    message,
                    t("bot.events.ask.when", lang, city=ui.esc(ui.city_name(lang, cb.city))),
                    reply_markup=ui.when_keyboard(lang, cb.city),
                )
            elif cb.action == "date":
                await state.set_state(EventsFlow.date)
                await state.update_data(ev_city=cb.city)
                await query.answer()
                await message.answer(
                    t("bot.events.ask.date", lang), reply_markup=ui.when_keyboard(lang, cb.city)
                )
            elif cb.action in ("near", "near_again"):
                await query.answer()
                data = await state.get_data()
                if cb.action == "near_again" and data.get("ev_location"):
                    await show_in_place(
                        message,
                        t("bot.events.ask.radius", lang),
                        reply_markup=ui.radius_keyboard(lang),
                    )
                else:
                    await _ask_location(message, state, lang)
            elif cb.action == "search":
                await state.set_state(EventsFlow.search)
                await query.answer()
                await message.answer(
                    t("bot.events.ask.search", lang), reply_markup=ui.back_home(lang)
                )
            elif cb.action == "mine":
                await query.answer()
                await _show_list(
                    message, app, user, state, ui.EventCb(action="list", src="m"), edit=True
                )
            elif cb.action == "list":
                await query.answer()
                await _show_list(message, app, user, state, cb, edit=True)
            elif cb.action in ("card", "save", "unsave", "remind", "unremind"):
                await _card(query, message, app, user, cb)
            else:
                await query.answer(t("bot.events.stale", lang), show_alert=True)
        except _NeedLocation:
            await query.answer()
            await _ask_location(message, state, lang)
        except TgassistError as err:
            await query.answer(alert_text(err, lang), show_alert=True)

    return router


async def _card(
    query: CallbackQuery, message: Message, app: App, user: UserView, cb: ui.EventCb
) -> None:
    lang = user.language
    notice = ""
    if cb.action == "save":
        await service.save(app, user.id, cb.id)
        notice = t("bot.events.saved", lang)
    elif cb.action == "unsave":
        await service.unsave(app, user.id, cb.id)
        notice = t("bot.events.unsaved", lang)
    elif cb.action == "remind":
        mark = await service.set_reminders(app, user.id, cb.id, True)
        notice = t(
            "bot.events.reminders_on" if mark.reminders else "bot.events.reminders_too_late", lang
        )
    elif cb.action == "unremind":
        await service.set_reminders(app, user.id, cb.id, False)
        notice = t("bot.events.reminders_off", lang)
    card = await service.shown_event_card(app, cb.id, lang=lang)
    mark = await service.event_mark(app, user.id, cb.id)
    await query.answer(notice)
    await show_in_place(
        message, ui.card_text(lang, card, mark), reply_markup=ui.card_keyboard(lang, card, mark, cb)
    )
