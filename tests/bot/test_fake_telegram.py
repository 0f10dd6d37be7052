"""The fake Bot API keeps Telegram's rules (so the bot's tests can trust it), through aiogram."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from tests.fakes.telegram_server import FakeTelegram
from tgassist.bot.app import create_bot
from tgassist.settings import Settings


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    async with FakeTelegram() as server:
        settings = Settings(_env_file=None, bot_token=server.token, bot_api_url=server.url)  # type: ignore[call-arg]
        bot = create_bot(settings)
        yield server, bot
        await bot.session.close()


def _kb(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="x", callback_data=data)]]
    )


async def test_limits_and_edits(fake: tuple[FakeTelegram, Bot]) -> None:
    server, bot = fake
    user = server.user(5, language_code="en")
    me = await bot.get_me()
    assert me.username == "tgassist_test_bot"
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(5, "a" * 4097)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(5, "hi", reply_markup=_kb("d" * 65))
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(5, "a <b unclosed")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(6, "nobody")
    sent = await bot.send_message(5, "<b>bold</b> &lt;tag&gt;", reply_markup=_kb("ok"))
    reply = await user.reply()
    assert reply.text == "bold <tag>" and reply.buttons[0][0].callback_data == "ok"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "<b>bold</b> &lt;tag&gt;", chat_id=5, message_id=sent.message_id, reply_markup=_kb("ok")
        )
    await bot.edit_message_text("second", chat_id=5, message_id=sent.message_id)
    edit = await user.reply()
    assert edit.is_edit and edit.text == "second" and edit.message.history == ["bold <tag>"]
    await bot.delete_message(5, sent.message_id)
    assert user.messages == []


async def test_failures_on_demand_and_files(fake: tuple[FakeTelegram, Bot]) -> None:
    server, bot = fake
    user = server.user(7)
    server.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(7, "x")
    assert err.value.retry_after == 3
    server.block(user)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(7, "x")
    server.unblock(user)
    await bot.send_document(7, BufferedInputFile(b"PK\x03\x04xlsx", "c.xlsx"), caption="file")
    doc = await user.reply()
    assert doc.document == b"PK\x03\x04xlsx" and doc.filename == "c.xlsx" and doc.text == "file"
    sent = await user.send_document(b"phrase\nbuy sofa\n", "keys.csv")
    file = await bot.get_file(sent["document"]["file_id"])
    assert file.file_path is not None
    data = await bot.download_file(file.file_path)
    assert data is not None and data.read() == b"phrase\nbuy sofa\n"


async def test_a_sent_message_carries_only_an_inline_keyboard(
    fake: tuple[FakeTelegram, Bot],
) -> None:
    """As Telegram: the Message a send returns has `reply_markup` only for an inline keyboard; a
    reply keyboard (the location button) or its removal is shown to the user but not echoed."""
    server, bot = fake
    user = server.user(7, language_code="ru")
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="📍 Share location", request_location=True)]],
        resize_keyboard=True,
    )
    sent = await bot.send_message(7, "where are you?", reply_markup=keyboard)
    assert sent.reply_markup is None
    shown = await user.reply()
    assert [b.text for b in shown.buttons[0]] == ["📍 Share location"]
    removed = await bot.send_message(7, "thanks", reply_markup=ReplyKeyboardRemove())
    assert removed.reply_markup is None
    await user.reply()
    inline = await bot.send_message(7, "pick", reply_markup=_kb("a"))
    assert inline.reply_markup is not None
    assert inline.reply_markup.inline_keyboard[0][0].callback_data == "a"
