"""Campaigns: the brief wizard (name → product → keywords → region → site → budget → summary)
and the start of a build with its live progress message. History is in `campaign_history`."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from tgassist.bot.callbacks import Nav
from tgassist.bot.routers import campaign_history
from tgassist.bot.screens import show
from tgassist.bot.states import leave_section
from tgassist.bot.ui import campaigns as ui
from tgassist.bot.ui.build_watch import open_progress, resume_watches, stop_watches
from tgassist.bot.ui.common import alert_text, error_text
from tgassist.campaigns import service
from tgassist.campaigns.exceptions import BriefError
from tgassist.core.errors import LocalizedError, TgassistError
from tgassist.core.i18n import t

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.users import UserView

MAX_TEXT = {"keywords": 4096}
MAX_TEXT_DEFAULT = 1000
CONFIRM_LOCK_SEC = 30


class CampaignWizard(StatesGroup):
    name = State()
    product = State()
    keywords = State()
    region = State()
    url = State()
    budget = State()
    confirm = State()


STATE_OF: dict[str, State] = {
    "name": CampaignWizard.name,
    "product": CampaignWizard.product,
    "keywords": CampaignWizard.keywords,
    "region": CampaignWizard.region,
    "url": CampaignWizard.url,
    "budget": CampaignWizard.budget,
}
STEP_OF = {s.state: step for step, s in STATE_OF.items()}
STEP_STATES = StateFilter(*STATE_OF.values())


def confirm_key(user_id: int) -> str:
    """Held while a Confirm is being handled: a double tap starts one build."""
    return f"bot:campaigns:confirm:{user_id}"


async def _ask(target: Message, state: FSMContext, lang: str, step: str, error: str = "") -> None:
    await state.set_state(STATE_OF[step])
    data = await state.get_data()
    default = ui.default_label(step, data.get("defaults") or {})
    text = ui.step_text(lang, step, service.STEPS.index(step) + 1, len(service.STEPS), default)
    if error:
        text = t("bot.campaigns.invalid", lang, error=error) + "\n\n" + text
    markup = ui.step_keyboard(lang, step, bool(data.get("editing")), default)
    await target.answer(text, reply_markup=markup)


async def _start(target: Message, state: FSMContext, app: App, user: UserView) -> None:
    """A new wizard, offering the default region and budget the user keeps in the settings."""
    await state.clear()
    acc = await service.get_account(app, user.id)
    defaults: dict[str, Any] = {}
    if acc.region_ids:
        defaults["region"] = {"ids": list(acc.region_ids), "names": list(acc.region_names)}
    if acc.budget:
        defaults["budget"] = acc.budget
    await state.update_data(defaults=defaults)
    await _ask(target, state, user.language, "name")


async def _summary(target: Message, state: FSMContext, lang: str) -> None:
    data = await state.get_data()
    missing = service.missing_steps(data)
    if missing:  # an answer lost (e.g. a wizard from an older version): ask it again
        await _ask(target, state, lang, missing[0])
        return
    await state.set_state(CampaignWizard.confirm)
    await state.update_data(editing=False)
    await target.answer(ui.summary_text(lang, data), reply_markup=ui.summary_keyboard(lang))


async def _answered(
    target: Message, state: FSMContext, lang: str, step: str, **values: Any
) -> None:
    """Store a step's answer and move on: the next step, or the summary when editing."""
    await state.update_data(**values)
    data = await state.get_data()
    idx = service.STEPS.index(step)
    if data.get("editing") or idx + 1 >= len(service.STEPS):
        await _summary(target, state, lang)
    else:
        await _ask(target, state, lang, service.STEPS[idx + 1])


async def _current_step(state: FSMContext) -> str | None:
    return STEP_OF.get(await state.get_state() or "")


async def _stale(query: CallbackQuery, lang: str) -> None:
    await query.answer(t("bot.campaigns.stale", lang), show_alert=True)


def build_router() -> Router:
    router = Router(name="campaigns")
    router.include_router(campaign_history.build_router())

    @router.startup()
    async def resume_progress_messages(bot: Bot, app: App) -> None:
        await resume_watches(bot, app)

    @router.shutdown()
    async def stop_progress_messages() -> None:
        await stop_watches()

    async def home(message: Message, user: UserView) -> None:
        lang = user.language
        await message.answer(t("bot.campaigns.home", lang), reply_markup=ui.home_keyboard(lang))

    @router.message(Command("campaigns"))
    async def campaigns_cmd(message: Message, state: FSMContext, user: UserView) -> None:
        await leave_section(state)
        await home(message, user)

    @router.callback_query(Nav.filter(F.to == "campaigns"))
    async def campaigns_menu(query: CallbackQuery, state: FSMContext, user: UserView) -> None:
        await state.clear()
        await show(query, t("bot.campaigns.home", user.language), ui.home_keyboard(user.language))

    @router.message(Command("new_campaign"))
    async def new_cmd(message: Message, state: FSMContext, app: App, user: UserView) -> None:
        await _start(message, state, app, user)

    @router.callback_query(ui.WizardCb.filter())
    async def wizard_button(
        query: CallbackQuery,
        callback_data: ui.WizardCb,
        state: FSMContext,
        app: App,
        user: UserView,
        bot: Bot,
    ) -> None:
        lang = user.language
        message = query.message
        if not isinstance(message, Message):
            await _stale(query, lang)
            return
        action, step = callback_data.action, await _current_step(state)
        if action == "home":
            await query.answer()
            await home(message, user)
        elif action == "new":
            await query.answer()
            await _start(message, state, app, user)
        elif action == "cancel":
            await state.clear()
            await query.answer()
            await message.answer(
                t("bot.campaigns.cancelled", lang), reply_markup=ui.home_keyboard(lang)
            )
        elif action == "region" and step == "region":
            await query.answer()
            try:
                region = service.check_step("region", [int(callback_data.value)])
            except (BriefError, ValueError):
                await _ask(message, state, lang, "region", t("bot.campaigns.err.region", lang))
                return
            await _answered(message, state, lang, "region", region=region)
        elif action == "default" and step in ("region", "budget"):
            await query.answer()
            default = ((await state.get_data()).get("defaults") or {}).get(step)
            if not default:  # a button from before a restart, or the default was removed
                await _ask(message, state, lang, step)
                return
            try:  # checked again with the brief's rules: the defaults may predate a rule
                checked = service.check_step(step, default["ids"] if step == "region" else default)
            except (BriefError, LocalizedError) as err:
                await _ask(message, state, lang, step, error_text(err, lang))
                return
            await _answered(message, state, lang, step, **{step: checked})
        elif action == "skip" and step == "budget":
            await query.answer()
            await _answered(message, state, lang, "budget", budget=None)
        elif action == "back" and step is not None:
            await query.answer()
            idx = service.STEPS.index(step)
            if idx == 0:
                await state.clear()
                await home(message, user)
            else:
                await _ask(message, state, lang, service.STEPS[idx - 1])
        elif action == "summary" and step is not None:
            await query.answer()
            await _summary(message, state, lang)
        elif action == "edit" and await state.get_state() == CampaignWizard.confirm.state:
            if callback_data.value not in STATE_OF:
                await _stale(query, lang)
                return
            await query.answer()
            await state.update_data(editing=True)
            await _ask(message, state, lang, callback_data.value)
        elif action == "confirm" and await state.get_state() == CampaignWizard.confirm.state:
            await _confirm(query, message, state, app, user, bot)
        else:
            await _stale(query, lang)

    @router.message(STEP_STATES, F.text)
    async def step_text(message: Message, state: FSMContext, user: UserView) -> None:
        lang = user.language
        step = await _current_step(state)
        assert step is not None and message.text is not None
        text = message.text.strip()
        limit = MAX_TEXT.get(step, MAX_TEXT_DEFAULT)
        if len(text) > limit:
            await _ask(
                message,
                state,
                lang,
                step,
                t("bot.campaigns.err.too_long", lang, limit=limit, n=len(text)),
            )
            return
        if text.startswith("/"):
            await _ask(message, state, lang, step, t("bot.campaigns.err.command", lang))
            return
        if step == "budget" and text.lower() in ("-", "0", "нет", "no", "skip"):
            await _answered(message, state, lang, "budget", budget=None)
            return
        value: Any = text
        if step == "region":
            value = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
        try:
            checked = service.check_step(step, value)
        except (BriefError, LocalizedError) as err:
            await _ask(message, state, lang, step, error_text(err, lang))
            return
        extra: dict[str, Any] = {"keywords_file": None} if step == "keywords" else {}
        await _answered(message, state, lang, step, **{step: checked}, **extra)

    @router.message(CampaignWizard.keywords, F.document)
    async def keywords_file(
        message: Message, state: FSMContext, app: App, user: UserView, bot: Bot
    ) -> None:
        lang = user.language
        doc = message.document
        assert doc is not None
        if (doc.file_size or 0) > service.MAX_FILE_BYTES:
            await _ask(
                message,
                state,
                lang,
                "keywords",
                t("campaigns.wizard.file_too_big", lang, mb=service.MAX_FILE_BYTES // 2**20),
            )
            return
        buffer = io.BytesIO()
        await bot.download(doc, destination=buffer)
        try:
            kf = service.read_keyword_file(
                app, user.id, buffer.getvalue(), doc.file_name or "keywords.csv"
            )
        except LocalizedError as err:
            await _ask(message, state, lang, "keywords", error_text(err, lang))
            return
        await message.answer(
            t(
                "bot.campaigns.file_accepted",
                lang,
                n=kf.count,
                with_freq=kf.with_frequency,
                sample=", ".join(kf.sample),
            )
        )
        await _answered(
            message,
            state,
            lang,
            "keywords",
            keywords=list(kf.base_phrases),
            keywords_file={"path": kf.path, "filename": kf.filename, "count": kf.count},
        )

    @router.message(STEP_STATES)
    async def step_not_text(message: Message, state: FSMContext, user: UserView) -> None:
        lang = user.language
        step = await _current_step(state)
        assert step is not None
        key = (
            "bot.campaigns.err.need_text_or_file"
            if step == "keywords"
            else "bot.campaigns.err.need_text"
        )
        await _ask(message, state, lang, step, t(key, lang))

    @router.message(CampaignWizard.confirm)
    async def confirm_typed(message: Message, state: FSMContext, user: UserView) -> None:
        await message.answer(t("bot.campaigns.use_buttons", user.language))
        await _summary(message, state, user.language)

    @router.callback_query(ui.BuildCb.filter())
    async def build_button(
        query: CallbackQuery, callback_data: ui.BuildCb, app: App, user: UserView, bot: Bot
    ) -> None:
        lang = user.language
        message = query.message
        if callback_data.action == "cancel":
            ok = await app.tasks.cancel(callback_data.task, user_id=user.id)
            key = "bot.campaigns.stopping" if ok else "bot.campaigns.nothing_to_stop"
            await query.answer(t(key, lang), show_alert=not ok)
        elif callback_data.action == "retry":
            try:
                started = await service.repeat_from_history(app, user.id, callback_data.campaign)
                card = await service.campaign_card(app, user.id, callback_data.campaign)
            except TgassistError as err:
                await query.answer(alert_text(err, lang), show_alert=True)
                return
            await query.answer()
            if isinstance(message, Message):
                await open_progress(bot, app, message.chat.id, user.id, lang, started, card.name)
        else:
            await query.answer()
            if isinstance(message, Message):
                await message.edit_reply_markup(reply_markup=None)
                await home(message, user)

    return router


async def _confirm(
    query: CallbackQuery, message: Message, state: FSMContext, app: App, user: UserView, bot: Bot
) -> None:
    lang = user.language
    if not await app.redis.set(confirm_key(user.id), "1", nx=True, ex=CONFIRM_LOCK_SEC):
        await query.answer(t("bot.campaigns.already_starting", lang))
        return
    try:
        if await state.get_state() != CampaignWizard.confirm.state:  # the first tap finished
            await query.answer(t("bot.campaigns.already_starting", lang))
            return
        data = await state.get_data()
        try:
            started = await service.start_build(app, user.id, data)
        except BriefError as err:  # the rules changed since the step was answered
            await query.answer()
            first = err.errors[0].field if err.errors else "name"
            step = next((s for s, f in service.FIELD_OF.items() if f == first), "name")
            await state.update_data(editing=True)
            await _ask(message, state, lang, step, error_text(err, lang))
            return
        except TgassistError as err:
            await query.answer(alert_text(err, lang), show_alert=True)
            return
        await state.clear()
        await query.answer(t("bot.campaigns.started", lang))
        try:
            await message.edit_reply_markup(reply_markup=None)
        except Exception:  # the summary may be too old to edit; the build is started anyway
            pass
        await open_progress(
            bot, app, message.chat.id, user.id, lang, started, str(data.get("name"))
        )
    finally:
        await app.redis.delete(confirm_key(user.id))
