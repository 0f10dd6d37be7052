"""The bot runtime over the fake Bot API: webhook, restarts, blocked users, rate limit, errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import aiohttp
import uvicorn

from tests.bot.conftest import BotEnv
from tgassist.api.app import create_api
from tgassist.bot.ui.build_watch import WATCHES
from tgassist.core.users import get_by_telegram_id, set_blocked
from tgassist.runtime import _Server

MakeEnv = Callable[..., Awaitable[BotEnv]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_checks_the_secret_and_serves_updates(make_bot_env: MakeEnv) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/tg/hook"
    env = await make_bot_env(bot_webhook_url=url, bot_webhook_secret="s3cret-Token_1")
    assert env.server.webhook == {"url": url, "secret_token": "s3cret-Token_1"}
    config = uvicorn.Config(
        create_api(env.app), host="127.0.0.1", port=port, log_config=None, lifespan="off"
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.02)
        user = env.user(3001, language_code="en")
        await user.send("/help")
        assert "/new_campaign" in (await user.reply()).text
        assert env.server.webhook_statuses == [200]
        async with aiohttp.ClientSession() as http:
            update = {
                "update_id": 99,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": 3001, "type": "private"},
                    "text": "/help",
                },
            }
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as resp:
                assert resp.status == 401
            async with http.post(url, json=update) as resp:
                assert resp.status == 401
        await user.no_reply(0.3)
        assert env.server.count("getUpdates") == 0
        # The bot role runs the routers' startup work in webhook mode too: after a restart it
        # resumes build progress messages (a watch whose record is gone is forgotten).
        await env.app.redis.sadd(WATCHES, "gone-task")
        await env.restart()
        for _ in range(100):
            if not await env.app.redis.sismember(WATCHES, "gone-task"):
                break
            await asyncio.sleep(0.05)
        assert not await env.app.redis.sismember(WATCHES, "gone-task")
    finally:
        server.should_exit = True
        await serving


async def test_wizard_step_and_old_buttons_survive_a_restart(bot_env: BotEnv) -> None:
    user = bot_env.user(3002, language_code="en")
    await user.send("/settings")
    screen = await user.reply()
    await user.send("/settings")
    await user.reply()
    await user.press("📧 Google e-mail")
    await user.reply()
    await bot_env.restart()
    await user.send("eve@example.com")  # the question asked before the restart
    assert "Google e-mail for Sheets: eve@example.com" in (await user.reply()).text
    await user.press("💰 Budget", message=screen)  # a button on a message from before
    assert "default budget" in (await user.reply()).text


async def test_outdated_or_forged_buttons_get_an_answer(bot_env: BotEnv) -> None:
    user = bot_env.user(3003, language_code="en")
    await user.send("/menu")
    await user.reply()
    await user.press_data("v0:removed-screen:1")
    answer = await user.callback_answer()
    assert answer["text"] == "This button is outdated. Opening the menu." and answer[
        "show_alert"
    ] in (True, "true")
    assert "Main menu" in (await user.reply()).text


async def test_blocked_user_is_refused_with_a_message(bot_env: BotEnv) -> None:
    user = bot_env.user(3004, language_code="en")
    await user.send("/start")
    await user.reply()
    me = await get_by_telegram_id(bot_env.app.db, user.id)
    assert me is not None
    await set_blocked(bot_env.app.db, me.id, True)
    await user.send("/menu")
    assert "blocked your access" in (await user.reply()).text
    await user.no_reply(0.3)
    await set_blocked(bot_env.app.db, me.id, False)
    await user.send("/menu")
    assert "Main menu" in (await user.reply()).text


async def test_rate_limit_answers_politely_once_then_serves_again(make_bot_env: MakeEnv) -> None:
    env = await make_bot_env(bot_rate_per_sec=2.0, bot_rate_burst=2)
    user = env.user(3005, language_code="en")
    for _ in range(5):
        await user.send("/help")
    texts = [(await user.reply()).text for _ in range(3)]
    assert sum("/new_campaign" in t for t in texts) == 2
    assert any("Too many messages in a row" in t for t in texts)
    await user.no_reply(0.2)  # one notice per burst, not one per message
    await asyncio.sleep(1.1)
    await user.send("/help")
    assert "/new_campaign" in (await user.reply()).text


async def test_an_error_in_a_handler_gets_an_apology_with_a_trace_id(bot_env: BotEnv) -> None:
    user = bot_env.user(3006, language_code="en")
    bot_env.server.fail_next("sendMessage", status=500, times=1)
    await user.send("/help")
    apology = await user.reply()
    assert apology.text.startswith("Sorry, something went wrong")
    trace = apology.text.split("code ")[-1].rstrip(".")
    assert len(trace) == 12
    await user.send("/help")  # the bot keeps working
    assert "/new_campaign" in (await user.reply()).text
