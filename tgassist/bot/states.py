"""FSM states of the core screens (kept in Redis: they survive a restart)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup

__all__ = ["AdminForm", "SettingsForm"]


class SettingsForm(StatesGroup):
    wordstat_token = State()
    api_key = State()
    email = State()
    region = State()
    budget = State()


class AdminForm(StatesGroup):
    find_user = State()
    limits = State()
    broadcast_text = State()
