"""The build progress message against the fake Bot API: edited in place at most once a second,
identical states skipped, Telegram's 429 waited out, then the end (here a failure) shown."""

from __future__ import annotations

import asyncio
import time

from tests.bot.conftest import BotEnv
from tgassist.bot.app import create_bot
from tgassist.bot.ui.build_watch import MIN_EDIT_INTERVAL_SEC, Watched, watch_build
from tgassist.core.users import ensure_user


async def test_progress_is_throttled_deduplicated_and_honours_429(bot_env: BotEnv) -> None:
    app, server = bot_env.app, bot_env.server
    user = bot_env.user(6001, language_code="en")
    owner = await ensure_user(app.db, telegram_id=6001)
    task = await app.tasks.create("campaign.build", user_id=owner.id)
    bot = create_bot(app.settings)
    try:
        first = await bot.send_message(6001, "Building…")
        await user.reply()
        server.fail_next("editMessageText", status=429, retry_after=1)
        w = Watched(6001, first.message_id, task.id, 0, owner.id, "en", "Sofas")
        watcher = asyncio.create_task(watch_build(bot, app, w))
        started = time.monotonic()
        await app.tasks.start(task.id)
        for percent in range(0, 60, 2):  # 30 reports in ~3 s
            await app.tasks.progress(
                task.id,
                stage="wordstat",
                percent=percent,
                key="campaigns.progress.wordstat",
                done=percent,
                total=60,
            )
            await asyncio.sleep(0.1)
        for _ in range(5):  # the same state again: nothing to show
            await app.tasks.progress(
                task.id,
                stage="wordstat",
                percent=58,
                key="campaigns.progress.wordstat",
                done=58,
                total=60,
            )
        await app.tasks.fail(
            task.id, "campaigns.build.failed", error="detail", stage="Wordstat", reason="down"
        )
        await asyncio.wait_for(watcher, 20)
        elapsed = time.monotonic() - started
    finally:
        await bot.session.close()

    edits = [p for m, p in server.calls if m == "editmessagetext"]
    assert edits and all(int(p["message_id"]) == first.message_id for p in edits)
    texts = [p["text"] for p in edits]
    # 30 reports in ~3 s, plus the end: a handful of edits, never two a second.
    assert 3 <= len(edits) <= elapsed / MIN_EDIT_INTERVAL_SEC + 3, (len(edits), elapsed)
    repeated = [x for x in set(texts) if texts.count(x) > 1]
    assert len(repeated) == 1 and texts.count(repeated[0]) == 2  # the edit refused with 429
    assert len(set(texts)) >= 3  # a later state shown once the second was over, then the end
    assert "down" in texts[-1]
    failure = await user.reply_until(lambda r: not r.is_edit and "failed" in r.text, timeout=10)
    assert "Retry" in " ".join(failure.button_texts)
    progress = next(m for m in user.messages if m.message_id == first.message_id)
    assert "Sofas" in progress.text and "Stop" not in " ".join(progress.button_texts)
