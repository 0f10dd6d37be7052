"""The campaign wizard over the fake Bot API: from /new_campaign to the XLSX document watching
one progress message, then the campaign in /history; Edit on the summary; a keyword file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.bot.conftest import BotEnv
from tests.fakes.telegram_server import FakeUser, Reply
from tgassist.campaigns.models import Campaign
from tgassist.core.models import Task

BUILD_TIMEOUT = 120.0


@pytest.fixture
def bot_overrides() -> dict[str, Any]:
    return {"bot_rate_burst": 100}  # a scripted user types faster than the per-user limit


async def answer_steps(user: FakeUser, *, url: str = "fridge-fix.example.ru") -> Reply:
    """Walk the wizard with valid answers; returns the summary."""
    await user.send("/new_campaign")
    assert "Step 1 of 6" in (await user.reply()).text
    await user.send("Ремонт холодильников")
    assert "Step 2 of 6" in (await user.reply()).text
    await user.send("ремонт холодильников на дому")
    assert "Step 3 of 6" in (await user.reply()).text
    await user.send("ремонт холодильников\nмастер по холодильникам\nзаправка холодильника")
    region = await user.reply()
    assert "Step 4 of 6" in region.text and "Москва" in region.button_texts
    await user.press("Москва")
    assert "Step 5 of 6" in (await user.reply()).text
    await user.send(url)
    budget = await user.reply()
    assert "Step 6 of 6" in budget.text
    await user.press("Skip")
    return await user.reply()


def is_final(reply: Reply) -> bool:
    return "is ready" in reply.text or "failed" in reply.text or "stopped" in reply.text


@pytest.mark.slow  # a real build on the worker (the offline embedder loads once: ~15 s)
async def test_new_campaign_to_xlsx_with_one_progress_message_then_history(
    bot_env: BotEnv,
) -> None:
    user = bot_env.user(4001, language_code="en")
    summary = await answer_steps(user, url="wrong-site.example.ru")
    assert "Check the brief" in summary.text and "Budget: not set" in summary.text
    # Edit one field from the summary: only that step is asked, then the summary again.
    await user.press("✏️ Site")
    assert "Step 5 of 6" in (await user.reply()).text
    await user.send("fridge-fix.example.ru")
    summary = await user.reply()
    assert "https://fridge-fix.example.ru/" in summary.text
    assert "wrong-site" not in summary.text

    await user.press("✅ Build the campaign")
    progress = await user.reply_until(lambda r: "Building" in r.text)
    assert "Stop the build" in " ".join(progress.button_texts)
    documents: list[Reply] = []
    while True:
        reply = await user.reply(timeout=BUILD_TIMEOUT)
        if reply.document is not None:
            documents.append(reply)
            continue
        if is_final(reply):
            result = reply
            break
        # Everything else is the one progress message, edited in place.
        assert reply.is_edit and reply.message_id == progress.message_id, reply.text
    assert "is ready" in result.text, result.text
    assert "Phrases:" in result.text and "Within Direct's limits" in result.text

    progress_msg = next(m for m in user.messages if m.message_id == progress.message_id)
    assert "100%" in progress_msg.text and "Done" in progress_msg.text
    assert progress_msg.history  # edited in place (a build under a second shows just the end)
    assert sum("Building" in m.text for m in user.messages) == 1  # ONE progress message

    assert [d.filename.rsplit(".", 1)[1] for d in documents if d.filename] == ["xlsx", "csv"]
    book = load_workbook(io.BytesIO(documents[0].document or b""))
    cells = [str(c.value) for row in book.active.iter_rows() for c in row if c.value]
    assert any("холодильник" in c.lower() for c in cells)

    await user.send("/history")
    history = await user.reply()
    assert "My campaigns" in history.text and "Ремонт холодильников" in history.text
    assert "ready 1" in history.text
    card_button = next(b for b in history.button_texts if "Ремонт холодильников" in b)
    await user.press(card_button)
    card = await user.reply()
    assert "ready" in card.text and "⬇️ XLSX" in card.button_texts
    await user.press("⬇️ XLSX")
    again = await user.reply()
    assert again.document is not None and again.filename and again.filename.endswith(".xlsx")


async def test_keyword_file_upload_and_files_that_are_not_keyword_lists(
    bot_env: BotEnv, fixtures_dir: Path
) -> None:
    user = bot_env.user(4002, language_code="ru")
    await user.send("/new_campaign")
    await user.reply()
    await user.send("Картриджи")
    await user.reply()
    await user.send("заправка картриджей")
    assert "Шаг 3 из 6" in (await user.reply()).text

    prose = "\n".join(
        "Отчёт о продажах за прошлый месяц показывает рост выручки во всех регионах страны"
        for _ in range(6)
    )
    await user.send_document(prose.encode(), "report.csv")
    refused = await user.reply()
    assert "не похоже на список ключевых фраз" in refused.text and "Шаг 3 из 6" in refused.text
    await user.send_document(b"%PDF-1.4 binary", "report.pdf")
    assert "Шаг 3 из 6" in (await user.reply()).text
    await user.send_document(b"1;2;3\n4;5;6\n", "numbers.csv")
    numbers = await user.reply()
    assert "Шаг 3 из 6" in numbers.text and "❗" in numbers.text

    data = (fixtures_dir / "yandex-direct" / "wordstat_phrases_small.xlsx").read_bytes()
    await user.send_document(data, "wordstat_phrases_small.xlsx")
    accepted = await user.reply()
    assert "Файл принят: 11 фраз" in accepted.text
    assert "Шаг 4 из 6" in (await user.reply()).text
    await user.send("Санкт-Петербург")
    await user.reply()
    await user.send("cartridge.example.ru")
    await user.reply()
    await user.send("30 000")
    summary = await user.reply()
    assert "Файл фраз: wordstat_phrases_small.xlsx (11 фраз)" in summary.text
    assert "Бюджет: 30 000 ₽" in summary.text
    await user.press("✅ Собрать кампанию")
    await user.reply_until(lambda r: "Сборка" in r.text)
    async with bot_env.app.db.session() as s:
        camp = await s.scalar(select(Campaign))
    assert camp is not None and camp.imported_keywords and len(camp.imported_keywords) == 11
    assert camp.region_names == ["Санкт-Петербург"] and camp.budget == 30000


async def test_wizard_survives_a_restart(bot_env: BotEnv) -> None:
    user = bot_env.user(4003, language_code="en")
    await user.send("/new_campaign")
    await user.reply()
    await user.send("Sofas Moscow")
    await user.reply()
    await bot_env.restart()
    await user.send("corner sofas")
    assert "Step 3 of 6" in (await user.reply()).text
    async with bot_env.app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Task)) == 0
