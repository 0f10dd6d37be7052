"""Texts and keyboards of the admin screens (rendered from `tgassist.core.admin` views)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from tgassist.bot.callbacks import AdminCb
from tgassist.bot.keyboards import button, keyboard, nav_row
from tgassist.bot.texts import clip, esc, tr
from tgassist.core import admin
from tgassist.core.users import UserStats, UserView

__all__ = [
    "admin_keyboard",
    "admin_text",
    "errors_text",
    "monitor_text",
    "user_card",
    "user_keyboard",
]


def admin_text(lang: str, stats: UserStats) -> str:
    return tr(lang, "admin.home", total=stats.total, active=stats.active_7d, new=stats.new_today)


def admin_keyboard(lang: str) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [button(lang, "admin.b_find", AdminCb(action="find"))],
            [button(lang, "admin.b_broadcast", AdminCb(action="bc"))],
            [
                button(lang, "admin.b_errors", AdminCb(action="errors")),
                button(lang, "admin.b_monitor", AdminCb(action="monitor")),
            ],
            nav_row(lang),
        ]
    )


def back_keyboard(lang: str) -> InlineKeyboardMarkup:
    return keyboard([nav_row(lang, "admin")])


def _status(lang: str, user: UserView) -> str:
    if user.is_blocked:
        return tr(lang, "admin.user.status_blocked")
    if not user.is_active:
        return tr(lang, "admin.user.status_bot_blocked")
    return tr(lang, "admin.user.status_ok")


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else "—"


def user_card(lang: str, user: UserView) -> str:
    limits = ", ".join(f"{k}={v}" for k, v in sorted(user.limits.items())) or tr(
        lang, "admin.user.limits_default"
    )
    return tr(
        lang,
        "admin.user.card",
        id=user.id,
        name=user.display_name,
        telegram_id=user.telegram_id,
        language=user.language,
        status=_status(lang, user),
        admin=tr(lang, "admin.user.is_admin") if user.is_admin else "",
        limits=limits,
        created=_when(user.created_at),
        seen=_when(user.last_activity_at),
    )


def user_keyboard(lang: str, user: UserView) -> InlineKeyboardMarkup:
    block = (
        button(lang, "admin.b_unblock", AdminCb(action="unblock", user_id=user.id))
        if user.is_blocked
        else button(lang, "admin.b_block", AdminCb(action="block", user_id=user.id))
    )
    return keyboard(
        [
            [block, button(lang, "admin.b_limits", AdminCb(action="limits", user_id=user.id))],
            nav_row(lang, "admin"),
        ]
    )


def errors_text(lang: str, errors: list[admin.ErrorView]) -> str:
    if not errors:
        return tr(lang, "admin.errors.none")
    lines = [tr(lang, "admin.errors.title", count=len(errors))]
    for e in errors:
        lines.append(
            tr(
                lang,
                "admin.errors.item",
                when=e.failed_at[:19].replace("T", " "),
                stream=e.stream,
                group=e.group,
                deliveries=e.deliveries,
                error=e.error[:200],
            )
        )
    return clip("\n\n".join(lines))


def monitor_text(lang: str, view: admin.MonitorView) -> str:
    lines = [tr(lang, "admin.monitor.title", workers=view.workers, dlq=view.dlq_total)]
    for r in view.streams:
        lines.append(
            f"<code>{esc(r.stream)}</code> / {esc(r.group)}: "
            + tr(
                lang,
                "admin.monitor.stream",
                length=r.length,
                pending=r.pending,
                lag=r.lag if r.lag is not None else "—",
                dlq=r.dlq,
            )
        )
    if view.running:
        lines.append(tr(lang, "admin.monitor.tasks", count=len(view.running)))
        for task in view.running:
            lines.append(
                f"• {esc(task.type)} {esc(task.subject_type or '')} {esc(task.subject_id or '')}: {esc(task.stage or task.status)} {task.percent}%"
            )
    else:
        lines.append(tr(lang, "admin.monitor.no_tasks"))
    return clip("\n".join(lines))
