"""Several `tgassist bot` copies on one token with long polling (TGASSIST_BOT_SHARED_POLLING):
one copy polls, every copy answers; a wizard continues on whichever copy gets the next step;
when the polling copy stops, another one polls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tests.bot.conftest import BotEnv
from tests.fakes.telegram_server import FakeUser
from tgassist.app import App
from tgassist.bot.shared import BOT_UPDATES


def _handled() -> dict[str, float]:
    return {
        s.labels["consumer"]: s.value
        for metric in BOT_UPDATES.collect()
        for s in metric.samples
        if s.name.endswith("_total")
    }


async def _start_and_wizard(user: FakeUser) -> None:
    await user.send("/start")
    assert "Main menu" in (await user.reply(timeout=10)).text  # the greeting with the menu
    await user.send("/new_campaign")
    assert "Step 1 of" in (await user.reply(timeout=10)).text
    await user.send(f"Campaign of {user.id}")
    assert "Step 2 of" in (await user.reply(timeout=10)).text


async def test_copies_share_polling_and_take_over(
    make_bot_env: Callable[..., Awaitable[BotEnv]], make_app: Callable[..., Awaitable[App]]
) -> None:
    before = _handled()
    first = await make_bot_env(bot_shared_polling=True)
    second = BotEnv(
        first.server, await make_app(**first.settings), make_app, first.settings, worker=False
    )
    await second.start()
    try:
        users = [first.user(4100 + i, language_code="en") for i in range(24)]
        await asyncio.gather(*(_start_and_wizard(u) for u in users))
        for u in users:  # each update answered once: greeting with the menu, two wizard steps
            assert len(u.messages) == 3, [m.text[:40] for m in u.messages]
        handled = {k: v - before.get(k, 0) for k, v in _handled().items()}
        busy = [k for k, v in handled.items() if v > 0]
        assert len(busy) == 2, handled  # both copies answered
        assert sum(handled.values()) == 24 * 3  # three updates a user

        polls = first.server.count("getUpdates")
        await first.stop()  # the copy that polled (it started first) goes away
        late = first.user(4200, language_code="en")
        await late.send("/start")
        assert "Main menu" in (await late.reply(timeout=10)).text
        assert first.server.count("getUpdates") > polls  # the other copy polls now
    finally:
        await second.stop()
