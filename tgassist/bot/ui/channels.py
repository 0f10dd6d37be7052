"""Channels screens: callback data, keyboards and texts (follow, my channels, a channel)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from tgassist.bot.ui.common import button, esc, nav_row, pager_row
from tgassist.channels.views import ChannelsPage, FollowedChannel
from tgassist.core.i18n import t

STATUS_ICON = {"new": "🆕", "ok": "✅", "parsing": "⏳", "flood_wait": "⏸", "error": "⚠️"}


class ChannelCb(CallbackData, prefix="cn"):
    """action: home, follow, list, card, unfollow, unfollow_ok (with the list page)."""

    action: str
    id: int = 0
    page: int = 0


def home_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(lang, "bot.channels.btn.follow", ChannelCb(action="follow"))],
            [button(lang, "bot.channels.btn.mine", ChannelCb(action="list"))],
            nav_row(lang),
        ]
    )


def back_home(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[nav_row(lang, ChannelCb(action="home"))])


def _name(c: FollowedChannel) -> str:
    name = esc(c.title or "")
    if c.username:
        name = f"{name} (@{esc(c.username)})" if name else f"@{esc(c.username)}"
    return name or f"#{c.id}"


def status_line(lang: str, c: FollowedChannel) -> str:
    parsed = (
        c.last_parsed_at.strftime("%Y-%m-%d %H:%M UTC")
        if c.last_parsed_at
        else t("bot.channels.never", lang)
    )
    status = f"{STATUS_ICON.get(c.status, '•')} {t(f'bot.channels.status.{c.status}', lang)}"
    if not c.is_active:
        status += " · " + t("bot.channels.paused", lang)
    return t("bot.channels.status_line", lang, status=status, posts=c.posts, parsed=parsed)


def followed_text(lang: str, c: FollowedChannel, created: bool) -> str:
    key = "bot.channels.followed" if created else "bot.channels.already_followed"
    return t(key, lang, name=_name(c)) + "\n" + status_line(lang, c)


def followed_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(lang, "bot.channels.btn.follow_more", ChannelCb(action="follow"))],
            [button(lang, "bot.channels.btn.mine", ChannelCb(action="list"))],
            nav_row(lang, ChannelCb(action="home")),
        ]
    )


def list_text(lang: str, page: ChannelsPage) -> str:
    if not page.total:
        return t("bot.channels.list.empty", lang)
    lines = [
        t("bot.channels.list.title", lang, total=page.total, page=page.page + 1, pages=page.pages)
    ]
    for i, c in enumerate(page.items, start=page.page * 5 + 1):
        lines.append(f"\n{i}. <b>{_name(c)}</b>\n   {status_line(lang, c)}")
    return "\n".join(lines)


def list_keyboard(lang: str, page: ChannelsPage) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{i}. {(c.title or c.username or str(c.id))[:50]}",
                callback_data=ChannelCb(action="card", id=c.id, page=page.page).pack(),
            )
        ]
        for i, c in enumerate(page.items, start=page.page * 5 + 1)
    ]
    pager = pager_row(lang, page.page, page.pages, lambda p: ChannelCb(action="list", page=p))
    if pager:
        rows.append(pager)
    rows.append([button(lang, "bot.channels.btn.follow", ChannelCb(action="follow"))])
    rows.append(nav_row(lang, ChannelCb(action="home")))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card_text(lang: str, c: FollowedChannel) -> str:
    lines = [f"<b>{_name(c)}</b>", status_line(lang, c)]
    lines.append(t("bot.channels.since", lang, at=c.followed_at.strftime("%Y-%m-%d")))
    if c.status in ("error", "flood_wait") and c.error:
        label = "bot.channels.last_error" if c.status == "error" else "bot.channels.pause_reason"
        lines.append(t(label, lang, error=esc(c.error.render(lang))))
    if c.username:
        lines.append(f"https://t.me/{esc(c.username)}")
    return "\n".join(lines)


def card_keyboard(lang: str, c: FollowedChannel, page: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    lang,
                    "bot.channels.btn.unfollow",
                    ChannelCb(action="unfollow", id=c.id, page=page),
                )
            ],
            nav_row(lang, ChannelCb(action="list", page=page)),
        ]
    )


def unfollow_keyboard(lang: str, c: FollowedChannel, page: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    lang,
                    "bot.channels.btn.unfollow_yes",
                    ChannelCb(action="unfollow_ok", id=c.id, page=page),
                ),
                button(
                    lang,
                    "bot.channels.btn.unfollow_no",
                    ChannelCb(action="card", id=c.id, page=page),
                ),
            ],
            nav_row(lang),
        ]
    )
