"""Callback data of the core screens (aiogram CallbackData, ≤ 64 bytes each).

Product routers handle `Nav` with their screen name: the main menu's buttons are
`Nav(to="channels" | "events" | "campaigns")`, and `Nav(to="menu")` is the Menu button every
screen has. Buttons carry everything they need, so a button keeps working after a restart.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

__all__ = ["AdminCb", "LangCb", "Nav", "SettingsCb"]


class Nav(CallbackData, prefix="nav"):
    """Open a screen: menu, help, settings, language, admin, channels, events, campaigns."""

    to: str


class LangCb(CallbackData, prefix="lang"):
    code: str


class SettingsCb(CallbackData, prefix="set"):
    """A settings action: wordstat, apikey, email, region, budget (ask), or clear_<field>."""

    action: str


class AdminCb(CallbackData, prefix="adm"):
    """An admin action; `user_id` is the internal id of the user it concerns (0: none)."""

    action: str
    user_id: int = 0
    arg: str = ""
