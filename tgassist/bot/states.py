"""FSM states of the core screens (kept in Redis: they survive a restart)."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

__all__ = ["AdminForm", "ChannelsFlow", "SettingsForm", "leave_section"]


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


class ChannelsFlow(StatesGroup):
    follow = State()
    section = State()  # in the Channels section: a plain text is a question (channels_read)


async def leave_section(state: FSMContext) -> None:
    """Another section's command ends the Channels section (a plain text is no longer a question);
    a wizard in progress is left as it is."""
    if await state.get_state() == ChannelsFlow.section.state:
        await state.set_state(None)
