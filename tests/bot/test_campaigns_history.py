"""Campaign history and the wizard's bad input over the fake Bot API: pages of 5, a status filter,
totals, delete with confirmation, forged buttons with another user's campaign id, a double-tapped
Confirm, a failed build with Retry / Cancel, stickers / photos / voice / huge / emoji answers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.bot.conftest import BotEnv
from tests.bot.test_campaigns_wizard import answer_steps
from tests.campaigns.wordstat_server import Reply as WordstatReply
from tests.campaigns.wordstat_server import WordstatServer
from tests.fakes.telegram_server import FakeUser
from tgassist.bot.ui.build_watch import lease_key
from tgassist.campaigns.models import Campaign
from tgassist.core.i18n import Msg
from tgassist.core.models import Task
from tgassist.core.users import ensure_user, set_language


@pytest.fixture
def bot_overrides() -> dict[str, Any]:
    return {"bot_rate_burst": 100}  # a scripted user types faster than the per-user limit


async def _campaigns(env: BotEnv, telegram_id: int, statuses: list[str]) -> list[int]:
    user = await ensure_user(env.app.db, telegram_id=telegram_id, language_code="en")
    ids = []
    async with env.app.db.session() as s:
        for n, status in enumerate(statuses, start=1):
            camp = Campaign(
                user_id=user.id,
                name=f"Campaign {n}",
                product="product",
                url="https://example.ru/",
                base_phrases=["купить диван"],
                region_names=["Москва"],
                region_ids=[213],
                brief={},
                brief_hash=f"h{n}",
                status=status,
                keywords_count=10 * n,
                groups_count=n if status == "completed" else 0,
                ads_count=2 * n if status == "completed" else 0,
                report={},
            )
            s.add(camp)
            await s.flush()
            ids.append(camp.id)
    return ids


async def test_history_pages_filter_totals_and_delete(bot_env: BotEnv) -> None:
    statuses = ["completed"] * 4 + ["failed", "cancelled", "completed", "processing"]
    ids = await _campaigns(bot_env, 5001, statuses)
    user = bot_env.user(5001, language_code="en")
    await user.send("/history")
    page1 = await user.reply()
    assert "page 1/2" in page1.text
    assert "Total 8: ready 5, in progress 1, failed or cancelled 2" in page1.text
    assert sum(b.startswith(("✅", "❌", "✖️", "⏳")) for b in page1.button_texts) == 5
    assert "#8 Campaign 8" in page1.text and "#3 Campaign 3" not in page1.text  # newest first
    await user.press("▶️")
    page2 = await user.reply()
    assert "page 2/2" in page2.text and "#1 Campaign 1" in page2.text
    await user.press("2/2")  # the same page again: nothing to change, no error
    await user.no_reply(0.3)
    assert "went wrong" not in user.messages[-1].text

    await user.press("Failed")
    failed = await user.reply()
    assert "Failed" in failed.text and "page 1/1" in failed.text
    assert "Campaign 5" in failed.text and "Campaign 6" not in failed.text

    await user.press("• Failed")  # the filter already chosen: nothing changes, no error
    await user.no_reply(0.3)
    await user.press("Ready")
    ready = await user.reply()
    await user.press(next(b for b in ready.button_texts if "Campaign 7" in b))
    card = await user.reply()
    assert "#7 Campaign 7" in card.text and "ready" in card.text
    assert {"⬇️ XLSX", "⬇️ CSV", "🔁 Build again", "🗑 Delete"} <= set(card.button_texts)
    await user.press("🗑 Delete")
    confirm = await user.reply()
    assert "cannot be undone" in confirm.text
    await user.press("No")  # back to the card, nothing deleted
    assert "#7 Campaign 7" in (await user.reply()).text
    await user.press("🗑 Delete")
    await user.reply()
    await user.press("🗑 Yes, delete")
    after = await user.reply()
    assert "Total 7" in after.text
    async with bot_env.app.db.session() as s:
        left = set((await s.scalars(select(Campaign.id))).all())
    assert left == set(ids) - {ids[6]}


async def test_forged_buttons_with_another_users_campaign_are_refused(bot_env: BotEnv) -> None:
    (victim_campaign,) = await _campaigns(bot_env, 5002, ["completed"])
    attacker = bot_env.user(5003, language_code="en")
    await attacker.send("/history")
    assert "no campaigns yet" in (await attacker.reply()).text
    for action in ("card", "xlsx", "csv", "repeat", "delete", "delete_ok"):
        await attacker.press_data(f"ch:{action}:{victim_campaign}:0:all")
        answer = await attacker.callback_answer()
        assert f"Campaign #{victim_campaign} not found" in answer["text"], action
    await attacker.press_data(f"cb:retry:{victim_campaign}:")
    assert "not found" in (await attacker.callback_answer())["text"]
    await attacker.no_reply(0.3)  # no card, no document, no progress message
    async with bot_env.app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Campaign)) == 1
        assert await s.scalar(select(func.count()).select_from(Task)) == 0
    assert not bot_env.server.documents


async def test_double_tapped_confirm_starts_one_build(make_bot_env: Any) -> None:
    env: BotEnv = await make_bot_env(worker=False)  # the build itself is not the point here
    user = env.user(5004, language_code="en")
    summary = await answer_steps(user)
    await asyncio.gather(
        user.press("✅ Build the campaign", message=summary),
        user.press("✅ Build the campaign", message=summary),
    )
    await user.reply_until(lambda r: "Building" in r.text)
    await user.no_reply(0.5)
    async with env.app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Campaign)) == 1
        assert await s.scalar(select(func.count()).select_from(Task)) == 1
    # The summary's Confirm after the build started is answered as outdated.
    await user.press_data("cw:confirm:", message=summary.message)
    assert "outdated" in (await user.callback_answer())["text"]

    # Stop on the progress message: another user's press (a forged task id) changes nothing.
    async with env.app.db.session() as s:
        task_id = await s.scalar(select(Task.id))
    intruder = env.user(5007, language_code="en")
    await intruder.send("/menu")
    await intruder.reply()
    await intruder.press_data(f"cb:cancel:0:{task_id}")
    assert "already ended" in (await intruder.callback_answer())["text"]
    assert not (await env.app.tasks.get(str(task_id))).cancel_requested  # type: ignore[union-attr]
    await user.press("⏹ Stop the build")
    assert "Stopping" in (await user.callback_answer())["text"]
    assert (await env.app.tasks.get(str(task_id))).cancel_requested  # type: ignore[union-attr]


async def test_wizard_bad_input_reasks_with_the_fields_error(bot_env: BotEnv) -> None:
    user = bot_env.user(5005, language_code="en")
    await user.send("/new_campaign")
    await user.reply()
    await user.send_sticker()
    sticker = await user.reply()
    assert "Please answer with text" in sticker.text and "Step 1 of 6" in sticker.text
    await user.send("x" * 10_000)
    assert "Too long: 10000 characters" in (await user.reply()).text
    await user.send("😀🔥🎉")
    assert "no letters or digits" in (await user.reply()).text
    await user.send("Sofas")
    await user.reply()
    await user.send_photo()
    assert "Step 2 of 6" in (await user.reply()).text
    await user.send("corner sofas")
    await user.reply()
    await user.send_voice()
    voice = await user.reply()
    assert "as text or a CSV/XLSX file" in voice.text and "Step 3 of 6" in voice.text
    await user.send("😀")
    emoji = await user.reply()
    assert "❗" in emoji.text and "Step 3 of 6" in emoji.text
    await user.send("купить диван")
    await user.reply()
    await user.send("Atlantis")
    region = await user.reply()
    assert "❗" in region.text and "Atlantis" in region.text and "Step 4 of 6" in region.text
    await user.send("213")
    await user.reply()
    await user.send("not a site")
    site = await user.reply()
    assert "❗" in site.text and "Step 5 of 6" in site.text
    await user.send("sofa.example.ru")
    await user.reply()
    await user.send("a lot")
    budget = await user.reply()
    assert "❗" in budget.text and "Step 6 of 6" in budget.text
    await user.send("/history")  # a command inside a step: told how to leave, nothing lost
    assert "/cancel" in (await user.reply()).text
    await user.send("50000")
    summary = await user.reply()
    assert "Budget: 50 000 ₽" in summary.text and "Name: Sofas" in summary.text
    async with bot_env.app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Campaign)) == 0


@contextlib.asynccontextmanager
async def _build_refused_by_wordstat(
    make_bot_env: Any, telegram_id: int
) -> AsyncIterator[tuple[BotEnv, FakeUser]]:
    """An English user has confirmed a campaign whose build Wordstat refuses (403: a bad key)."""
    with WordstatServer() as wordstat:
        wordstat.always = WordstatReply(403, {"message": "api key is not valid"})
        env: BotEnv = await make_bot_env(
            wordstat_api_key="bad-key",
            wordstat_folder_id="folder",
            wordstat_v2_url=wordstat.url,
            wordstat_retries=0,
        )
        user = env.user(telegram_id, language_code="en")
        summary = await answer_steps(user)
        await user.press("✅ Build the campaign", message=summary)
        yield env, user


async def test_failed_build_shows_the_reason_with_retry_and_cancel(make_bot_env: Any) -> None:
    async with _build_refused_by_wordstat(make_bot_env, 5006) as (env, user):
        failed = await user.reply_until(lambda r: "failed" in r.text, timeout=30)
        assert "Retry" in " ".join(failed.button_texts)
        assert "Cancel" in " ".join(failed.button_texts)
        await user.press("🔁 Retry", message=failed)
        again = await user.reply_until(lambda r: "failed" in r.text and not r.is_edit, timeout=30)
        async with env.app.db.session() as s:
            assert await s.scalar(select(func.count()).select_from(Campaign)) == 1
            assert await s.scalar(select(func.count()).select_from(Task)) == 2
        await user.press("✖️ Cancel", message=again)
        home = await user.reply_until(lambda r: "New campaign" in " ".join(r.button_texts))
        assert "Yandex Direct campaigns" in home.text


async def test_progress_message_is_resumed_after_a_bot_restart(make_bot_env: Any) -> None:
    env: BotEnv = await make_bot_env(worker=False)  # the test plays the worker's part
    user = env.user(5008, language_code="en")
    summary = await answer_steps(user)
    await user.press("✅ Build the campaign", message=summary)
    progress = await user.reply_until(lambda r: "Building" in r.text)
    async with env.app.db.session() as s:
        task_id = str(await s.scalar(select(Task.id)))
    for _ in range(100):  # the watch is recorded and its watcher runs (holds the lease)
        if await env.app.redis.exists(lease_key(task_id)):
            break
        await asyncio.sleep(0.05)
    await env.restart()
    await env.app.tasks.start(task_id)
    await env.app.tasks.progress(
        task_id, stage="wordstat", percent=15, key="campaigns.progress.wordstat", done=1, total=3
    )
    moved = await user.reply_until(lambda r: "15%" in r.text, timeout=10)
    assert moved.is_edit and moved.message_id == progress.message_id
    await env.app.tasks.fail(task_id, "campaigns.build.failed", stage="Wordstat", reason="down")
    failed = await user.reply_until(lambda r: not r.is_edit and "failed" in r.text, timeout=10)
    assert "down" in failed.text and "Retry" in " ".join(failed.button_texts)
    for _ in range(100):  # nothing is left to resume once the end was shown
        if not await env.app.redis.smembers("bot:campaigns:watches"):
            break
        await asyncio.sleep(0.05)
    assert not await env.app.redis.smembers("bot:campaigns:watches")


async def test_a_failed_campaigns_card_gives_the_reason_in_the_readers_language(
    make_bot_env: Any,
) -> None:
    """The card in /history renders the failed build's message (its task's key), not the
    English detail stored with the campaign: read in English, then in Russian."""
    async with _build_refused_by_wordstat(make_bot_env, 5016) as (env, user):
        await user.reply_until(lambda r: "failed" in r.text and not r.is_edit, timeout=30)
        async with env.app.db.session() as s:
            task = (await s.scalars(select(Task))).one()
            stored = await s.scalar(select(Campaign.error))
        reason = Msg(str(task.key), dict(task.params))
        assert stored and stored != reason.render("ru")
        cards = {}
        for lang in ("en", "ru"):
            account = await ensure_user(env.app.db, telegram_id=5016)
            await set_language(env.app.db, account.id, lang)
            await user.send("/history")
            page = await user.reply()
            await user.press(next(b for b in page.button_texts if "Ремонт" in b), message=page)
            cards[lang] = (await user.reply()).text
        assert reason.render("en") in cards["en"]
        assert "Причина: " + reason.render("ru") in cards["ru"]
        assert stored not in cards["ru"]
