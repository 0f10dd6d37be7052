"""/settings: language, Wordstat token / Search API key (never echoed; the user's message holding
it is deleted at once), Google e-mail, default region and budget, and the user's limits."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from tgassist.app import App
from tgassist.bot.callbacks import Nav, SettingsCb
from tgassist.bot.keyboards import button, cancel_keyboard, keyboard, nav_row
from tgassist.bot.screens import show
from tgassist.bot.states import SettingsForm
from tgassist.bot.texts import esc, render_error, tr
from tgassist.campaigns import service
from tgassist.campaigns.views import AccountView
from tgassist.core.errors import LocalizedError
from tgassist.core.users import UserView

__all__ = ["build_router"]

# action → (the state that waits for the answer, the question's key)
ASKS: dict[str, tuple[State, str]] = {
    "wordstat": (SettingsForm.wordstat_token, "bot.settings.ask_wordstat"),
    "apikey": (SettingsForm.api_key, "bot.settings.ask_apikey"),
    "email": (SettingsForm.email, "bot.settings.ask_email"),
    "region": (SettingsForm.region, "bot.settings.ask_region"),
    "budget": (SettingsForm.budget, "bot.settings.ask_budget"),
}
CLEARABLE = ("wordstat_token", "search_api_key", "email", "region", "budget")
MAX_INPUT = 1000


def _mark(lang: str, on: bool) -> str:
    return tr(lang, "bot.settings.saved_mark" if on else "bot.settings.unset")


def settings_text(lang: str, user: UserView, acc: AccountView) -> str:
    limits = "\n".join(f"• {esc(k)}: {esc(v)}" for k, v in sorted(user.limits.items())) or tr(
        lang, "bot.settings.limits_default"
    )
    budget = f"{acc.budget:,.0f}".replace(",", " ") if acc.budget else None
    return (
        tr(
            lang,
            "bot.settings.screen",
            language=tr(lang, f"bot.language.name_{lang}"),
            wordstat=_mark(lang, acc.has_wordstat_token),
            apikey=_mark(lang, acc.has_search_api_key),
            email=acc.google_email or tr(lang, "bot.settings.unset"),
            region=", ".join(acc.region_names) or tr(lang, "bot.settings.unset"),
            budget=budget or tr(lang, "bot.settings.unset"),
        )
        + "\n"
        + tr(lang, "bot.settings.limits")
        + "\n"
        + limits
    )


def settings_keyboard(lang: str, acc: AccountView) -> InlineKeyboardMarkup:
    rows = [
        [button(lang, "bot.settings.b_language", Nav(to="language"))],
        [
            button(lang, "bot.settings.b_wordstat", SettingsCb(action="wordstat")),
            button(lang, "bot.settings.b_apikey", SettingsCb(action="apikey")),
        ],
        [button(lang, "bot.settings.b_email", SettingsCb(action="email"))],
        [
            button(lang, "bot.settings.b_region", SettingsCb(action="region")),
            button(lang, "bot.settings.b_budget", SettingsCb(action="budget")),
        ],
    ]
    clear = []
    if acc.has_wordstat_token:
        clear.append(
            button(lang, "bot.settings.b_clear_wordstat", SettingsCb(action="clear_wordstat_token"))
        )
    if acc.has_search_api_key:
        clear.append(
            button(lang, "bot.settings.b_clear_apikey", SettingsCb(action="clear_search_api_key"))
        )
    rows.append(clear)
    defaults = []
    if acc.google_email:
        defaults.append(
            button(lang, "bot.settings.b_clear_email", SettingsCb(action="clear_email"))
        )
    if acc.region_ids:
        defaults.append(
            button(lang, "bot.settings.b_clear_region", SettingsCb(action="clear_region"))
        )
    if acc.budget:
        defaults.append(
            button(lang, "bot.settings.b_clear_budget", SettingsCb(action="clear_budget"))
        )
    rows += [[b] for b in defaults]
    rows.append(nav_row(lang))
    return keyboard(rows)


async def open_settings(
    event: Message | CallbackQuery, state: FSMContext, app: App, user: UserView, lang: str
) -> None:
    await state.clear()
    acc = await service.get_account(app, user.id)
    await show(event, settings_text(lang, user, acc), settings_keyboard(lang, acc))


async def action(
    query: CallbackQuery,
    callback_data: SettingsCb,
    state: FSMContext,
    app: App,
    user: UserView,
    lang: str,
) -> None:
    name = callback_data.action
    if name.startswith("clear_") and name.removeprefix("clear_") in CLEARABLE:
        acc = await service.clear_setting(app, user.id, name.removeprefix("clear_"))
        await show(query, tr(lang, "bot.settings.cleared") + "\n\n" + settings_text(lang, user, acc),
                   settings_keyboard(lang, acc))  # fmt: skip
        return
    if name not in ASKS:
        await open_settings(query, state, app, user, lang)
        return
    form_state, prompt = ASKS[name]
    await state.set_state(form_state)
    await show(query, tr(lang, prompt), cancel_keyboard(lang, "settings"))


async def _delete(message: Message) -> None:
    """The user's message held a secret: it must not stay in the chat."""
    with contextlib.suppress(TelegramAPIError):
        await message.delete()


async def answered(
    message: Message, state: FSMContext, app: App, user: UserView, lang: str
) -> None:
    current = await state.get_state()
    secret = current in (SettingsForm.wordstat_token.state, SettingsForm.api_key.state)
    if secret:
        await _delete(message)
    text = message.text
    if text is None:
        await message.answer(
            tr(lang, "bot.settings.need_text"), reply_markup=cancel_keyboard(lang, "settings")
        )
        return
    if len(text) > MAX_INPUT:
        await message.answer(tr(lang, "bot.settings.too_long", limit=MAX_INPUT),
                             reply_markup=cancel_keyboard(lang, "settings"))  # fmt: skip
        return
    calls = {
        SettingsForm.wordstat_token.state: service.save_wordstat_token,
        SettingsForm.api_key.state: service.save_search_api_key,
        SettingsForm.email.state: service.set_google_email,
        SettingsForm.region.state: service.set_default_region,
        SettingsForm.budget.state: service.set_default_budget,
    }
    call = calls[str(current)]
    if secret:
        await message.answer(tr(lang, "bot.settings.checking"))
    try:
        acc = await call(app, user.id, text)
    except LocalizedError as err:
        await message.answer(
            render_error(lang, err), reply_markup=cancel_keyboard(lang, "settings")
        )
        return
    await state.clear()
    await message.answer(
        tr(lang, "bot.settings.saved") + "\n\n" + settings_text(lang, user, acc),
        reply_markup=settings_keyboard(lang, acc),
    )


def build_router() -> Router:
    router = Router(name="settings")
    router.message.register(open_settings, Command("settings"))
    router.callback_query.register(open_settings, Nav.filter(F.to == "settings"))
    router.callback_query.register(action, SettingsCb.filter())
    router.message.register(
        answered,
        StateFilter(SettingsForm),
        ~F.text.startswith("/"),  # another command leaves this question to its own screen
    )
    return router
