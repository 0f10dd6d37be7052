"""Campaign screens: callback data, keyboards and texts of the wizard, the build and the history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from tgassist.bot.ui.common import MENU_CALLBACK, bar, button, esc, nav_row, pager_row
from tgassist.campaigns.views import FILTERS, BuildSummary, CampaignCard, HistoryPage
from tgassist.core.i18n import Msg, t

# Buttons offered at the region step (Yandex geo ids); any other is typed by name or id.
REGION_BUTTONS: tuple[tuple[int, str], ...] = (
    (213, "Москва"),
    (1, "Москва и область"),
    (2, "Санкт-Петербург"),
    (225, "Россия"),
    (54, "Екатеринбург"),
    (65, "Новосибирск"),
    (43, "Казань"),
    (35, "Краснодар"),
)
STATUS_ICON = {
    "draft": "📝",
    "processing": "⏳",
    "completed": "✅",
    "failed": "❌",
    "cancelled": "✖️",
    "archived": "🗄",
}
PHRASES_SHOWN = 10


class WizardCb(CallbackData, prefix="cw"):
    """Wizard buttons: home, new, region <id>, skip, edit <step>, confirm, cancel, back."""

    action: str
    value: str = ""


class BuildCb(CallbackData, prefix="cb"):
    """Buttons of the progress / result message: cancel <task>, retry <campaign>, close."""

    action: str
    campaign: int = 0
    task: str = ""


class HistoryCb(CallbackData, prefix="ch"):
    """History: list, card, xlsx, csv, repeat, delete, delete_ok (with the page and filter)."""

    action: str
    id: int = 0
    page: int = 0
    status: str = "all"


def home_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(lang, "bot.campaigns.btn.new", WizardCb(action="new"))],
            [button(lang, "bot.campaigns.btn.history", HistoryCb(action="list"))],
            nav_row(lang),
        ]
    )


def step_keyboard(
    lang: str, step: str, editing: bool, default: str | None = None
) -> InlineKeyboardMarkup:
    """Buttons under a wizard question: the user's default (region, budget) first, region
    choices, Skip for the budget, Back / Cancel."""
    rows: list[list[InlineKeyboardButton]] = []
    if default:
        label = default if len(default) <= 40 else default[:39] + "…"
        rows.append(
            [button(lang, "bot.campaigns.btn.use_default", WizardCb(action="default"), value=label)]
        )
    if step == "region":
        buttons = [
            InlineKeyboardButton(
                text=name, callback_data=WizardCb(action="region", value=str(geo)).pack()
            )
            for geo, name in REGION_BUTTONS
        ]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if step == "budget":
        rows.append([button(lang, "bot.campaigns.btn.skip", WizardCb(action="skip"))])
    back = WizardCb(action="summary" if editing else "back")
    rows.append(
        [
            button(lang, "bot.button.back", back),
            button(lang, "bot.campaigns.btn.cancel", WizardCb(action="cancel")),
            button(lang, "bot.button.menu", MENU_CALLBACK),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def step_text(lang: str, step: str, number: int, total: int, default: str | None = None) -> str:
    text = (
        t("bot.campaigns.step", lang, n=number, total=total)
        + "\n"
        + t(f"bot.campaigns.ask.{step}", lang)
    )
    if default:
        text += "\n" + t("bot.campaigns.default_hint", lang, value=esc(default))
    return text


def default_label(step: str, defaults: Mapping[str, Any]) -> str | None:
    """How the user's default answer to `step` reads on its button (None: no default)."""
    value = defaults.get(step)
    if not value:
        return None
    if step == "region":
        return ", ".join(value.get("names") or ()) or None
    if step == "budget":
        return _money(value) + " ₽"
    return None


def summary_text(lang: str, answers: Mapping[str, Any]) -> str:
    phrases = list(answers.get("keywords") or ())
    shown = ", ".join(esc(p) for p in phrases[:PHRASES_SHOWN])
    if len(phrases) > PHRASES_SHOWN:
        shown += " " + t("bot.campaigns.summary.more", lang, n=len(phrases) - PHRASES_SHOWN)
    region = answers.get("region") or {}
    budget = answers.get("budget")
    lines = [
        t("bot.campaigns.summary.title", lang),
        t("bot.campaigns.summary.name", lang, value=esc(answers.get("name", ""))),
        t("bot.campaigns.summary.product", lang, value=esc(answers.get("product", ""))),
        t("bot.campaigns.summary.keywords", lang, n=len(phrases), value=shown),
    ]
    kf = answers.get("keywords_file")
    if kf:
        lines.append(t("bot.campaigns.summary.file", lang, name=esc(kf["filename"]), n=kf["count"]))
    lines += [
        t("bot.campaigns.summary.region", lang, value=esc(", ".join(region.get("names") or ()))),
        t("bot.campaigns.summary.url", lang, value=esc(answers.get("url", ""))),
        t("bot.campaigns.summary.budget", lang, value=_money(budget))
        if budget
        else t("bot.campaigns.summary.no_budget", lang),
    ]
    return "\n".join(lines)


def summary_keyboard(lang: str) -> InlineKeyboardMarkup:
    edit = [
        button(lang, f"bot.campaigns.edit.{step}", WizardCb(action="edit", value=step))
        for step in ("name", "product", "keywords", "region", "url", "budget")
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            edit[0:2],
            edit[2:4],
            edit[4:6],
            [
                button(lang, "bot.campaigns.btn.confirm", WizardCb(action="confirm")),
                button(lang, "bot.campaigns.btn.cancel", WizardCb(action="cancel")),
            ],
            nav_row(lang),
        ]
    )


def progress_text(lang: str, name: str, stage: str, percent: int, status: str = "running") -> str:
    head = t("bot.campaigns.progress.title", lang, name=esc(name))
    if status == "pending":
        stage = stage or t("bot.campaigns.progress.queued", lang)
    return f"{head}\n{esc(stage)}\n{bar(percent)} {percent}%"


def progress_keyboard(lang: str, campaign_id: int, task_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    lang,
                    "bot.campaigns.btn.stop",
                    BuildCb(action="cancel", campaign=campaign_id, task=task_id),
                )
            ]
        ]
    )


def result_text(lang: str, s: BuildSummary) -> str:
    lines = [
        t("bot.campaigns.result.done", lang, name=esc(s.name), id=s.campaign_id),
        t("bot.campaigns.result.counts", lang, keywords=s.keywords, groups=s.groups, ads=s.ads),
    ]
    if s.compliance is not None:
        lines.append(
            t(
                "bot.campaigns.result.compliance",
                lang,
                percent=round(s.compliance * 100),
                violations=s.violations,
            )
        )
    if s.warnings:
        lines.append(t("bot.campaigns.result.warnings", lang))
        lines += [f"• {esc(w.render(lang) if isinstance(w, Msg) else w)}" for w in s.warnings[:5]]
        if len(s.warnings) > 5:
            lines.append(t("bot.campaigns.summary.more", lang, n=len(s.warnings) - 5))
    if s.spreadsheet_url:
        lines.append(t("bot.campaigns.result.sheets", lang, url=esc(s.spreadsheet_url)))
    return "\n".join(lines)


def result_keyboard(lang: str, campaign_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(lang, "bot.campaigns.btn.open", HistoryCb(action="card", id=campaign_id))],
            [button(lang, "bot.campaigns.btn.history", HistoryCb(action="list"))],
            nav_row(lang),
        ]
    )


def failed_text(lang: str, name: str, status: str, reason: str) -> str:
    key = (
        "bot.campaigns.result.cancelled" if status == "cancelled" else "bot.campaigns.result.failed"
    )
    return t(key, lang, name=esc(name), reason=esc(reason))


def failed_keyboard(lang: str, campaign_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    lang, "bot.campaigns.btn.retry", BuildCb(action="retry", campaign=campaign_id)
                ),
                button(
                    lang, "bot.campaigns.btn.cancel", BuildCb(action="close", campaign=campaign_id)
                ),
            ]
        ]
    )


def _money(value: Any) -> str:
    return f"{float(value):,.0f}".replace(",", " ")


def status_label(lang: str, status: str) -> str:
    return f"{STATUS_ICON.get(status, '•')} {t(f'bot.campaigns.status.{status}', lang)}"


def history_text(lang: str, page: HistoryPage) -> str:
    tot = page.totals
    if not tot.campaigns:
        return t("bot.campaigns.history.empty", lang)
    lines = [
        t(
            "bot.campaigns.history.title",
            lang,
            filter=t(f"bot.campaigns.filter.{page.status}", lang),
            page=page.page + 1,
            pages=page.pages,
        ),
        t(
            "bot.campaigns.history.totals",
            lang,
            campaigns=tot.campaigns,
            completed=tot.by_status.get("completed", 0),
            processing=tot.by_status.get("processing", 0),
            failed=tot.by_status.get("failed", 0) + tot.by_status.get("cancelled", 0),
            keywords=tot.keywords,
            groups=tot.groups,
            ads=tot.ads,
        ),
    ]
    if not page.items:
        lines.append(t("bot.campaigns.history.none_with_filter", lang))
    for c in page.items:
        lines.append(
            f"{STATUS_ICON.get(c.status, '•')} <b>#{c.id}</b> {esc(c.name)} · "
            + t("bot.campaigns.history.line", lang, keywords=c.keywords, ads=c.ads)
        )
    return "\n".join(lines)


def history_keyboard(lang: str, page: HistoryPage) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = [
        [
            InlineKeyboardButton(
                text=f"{STATUS_ICON.get(c.status, '•')} #{c.id} {c.name[:40]}",
                callback_data=HistoryCb(
                    action="card", id=c.id, page=page.page, status=page.status
                ).pack(),
            )
        ]
        for c in page.items
    ]
    if page.totals.campaigns:
        filters = [
            InlineKeyboardButton(
                text=("• " if f == page.status else "") + t(f"bot.campaigns.filter.{f}", lang),
                callback_data=HistoryCb(action="list", status=f).pack(),
            )
            for f in FILTERS
        ]
        rows += [filters[:3], filters[3:]]
    pager = pager_row(
        lang,
        page.page,
        page.pages,
        lambda p: HistoryCb(action="list", page=p, status=page.status),
    )
    if pager:
        rows.append(pager)
    rows.append([button(lang, "bot.campaigns.btn.new", WizardCb(action="new"))])
    rows.append(nav_row(lang, WizardCb(action="home")))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card_text(lang: str, c: CampaignCard) -> str:
    lines = [
        f"<b>#{c.id} {esc(c.name)}</b>",
        status_label(lang, c.status),
        t("bot.campaigns.summary.product", lang, value=esc(c.product)),
        t("bot.campaigns.summary.region", lang, value=esc(", ".join(c.region_names) or "—")),
        t("bot.campaigns.summary.url", lang, value=esc(c.url or "—")),
        t("bot.campaigns.summary.budget", lang, value=_money(c.budget))
        if c.budget
        else t("bot.campaigns.summary.no_budget", lang),
        t("bot.campaigns.card.created", lang, at=c.created_at.strftime("%Y-%m-%d %H:%M UTC")),
        t("bot.campaigns.result.counts", lang, keywords=c.keywords, groups=c.groups, ads=c.ads),
    ]
    if c.spreadsheet_url:
        lines.append(t("bot.campaigns.result.sheets", lang, url=esc(c.spreadsheet_url)))
    if c.status in ("failed", "cancelled") and (c.failure or c.error):
        # the task's message in the reader's language; a bare stored detail only for a build
        # of an older version, which kept no message
        reason = c.failure.render(lang) if c.failure else (c.error or "")
        lines.append(t("bot.campaigns.card.error", lang, reason=esc(reason[:500])))
    return "\n".join(lines)


def card_keyboard(lang: str, c: CampaignCard, page: int, status: str) -> InlineKeyboardMarkup:
    def cb(action: str) -> HistoryCb:
        return HistoryCb(action=action, id=c.id, page=page, status=status)

    rows: list[list[InlineKeyboardButton]] = []
    if c.has_files:
        rows.append(
            [
                button(lang, "bot.campaigns.btn.xlsx", cb("xlsx")),
                button(lang, "bot.campaigns.btn.csv", cb("csv")),
            ]
        )
    second = []
    if c.can_repeat:
        second.append(button(lang, "bot.campaigns.btn.repeat", cb("repeat")))
    second.append(button(lang, "bot.campaigns.btn.delete", cb("delete")))
    rows.append(second)
    rows.append(nav_row(lang, HistoryCb(action="list", page=page, status=status)))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def delete_keyboard(lang: str, campaign_id: int, page: int, status: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    lang,
                    "bot.campaigns.btn.delete_yes",
                    HistoryCb(action="delete_ok", id=campaign_id, page=page, status=status),
                ),
                button(
                    lang,
                    "bot.campaigns.btn.delete_no",
                    HistoryCb(action="card", id=campaign_id, page=page, status=status),
                ),
            ],
            nav_row(lang),
        ]
    )
