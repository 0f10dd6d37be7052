"""/settings over the fake Bot API: keys checked with Wordstat, stored encrypted, never echoed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bot.conftest import BotEnv
from tests.campaigns.wordstat_server import Reply, WordstatServer
from tgassist.campaigns.account import get_account
from tgassist.core.models import User
from tgassist.core.users import get_by_telegram_id


@pytest.fixture
def wordstat() -> Iterator[WordstatServer]:
    with WordstatServer() as server:
        yield server


@pytest.fixture
def bot_overrides(wordstat: WordstatServer) -> dict[str, object]:
    return {
        "wordstat_v1_url": wordstat.url,
        "wordstat_v2_url": wordstat.url,
        "wordstat_backoff_sec": 0.01,
    }


async def test_wordstat_token_rejected_then_saved_encrypted_and_never_echoed(
    bot_env: BotEnv, wordstat: WordstatServer
) -> None:
    user = bot_env.user(2001, language_code="en")
    await user.send("/settings")
    screen = await user.reply()
    assert "Wordstat token (OAuth): not set" in screen.text
    await user.press("🔑 Wordstat token")
    prompt = await user.reply()
    assert prompt.is_edit and "delete your message" in prompt.text

    wordstat.queue(Reply(401, {"error": "invalid token"}))
    sent = await user.send("bad-token-123")
    assert "Checking the key" in (await user.reply()).text
    rejected = await user.reply()
    assert "Yandex rejected this key" in rejected.text and "Cancel" in rejected.button_texts[0]
    assert sent["message_id"] in bot_env.server.deleted_user_messages[user.id]
    me = await get_by_telegram_id(bot_env.app.db, user.id)
    assert me is not None
    assert not (await get_account(bot_env.app, me.id)).has_wordstat_token

    sent = await user.send("y0_AgAAAAgood-token")  # still in the step: a second try
    await user.reply()
    saved = await user.reply()
    assert "Saved" in saved.text and "Wordstat token (OAuth): ✅ saved" in saved.text
    assert sent["message_id"] in bot_env.server.deleted_user_messages[user.id]
    assert wordstat.requests[-1]["headers"]["Authorization"] == "Bearer y0_AgAAAAgood-token"
    async with bot_env.app.db.session() as s:
        row = await s.get(User, me.id)
        assert row is not None and row.wordstat_token_enc
        assert "good-token" not in row.wordstat_token_enc
        assert bot_env.app.secrets.decrypt(row.wordstat_token_enc) == "y0_AgAAAAgood-token"
    for msg in user.messages:
        assert "good-token" not in msg.text and "bad-token" not in msg.text

    await user.press("🗑 Remove the Wordstat token")
    removed = await user.reply()
    assert "Removed" in removed.text and "Wordstat token (OAuth): not set" in removed.text


async def test_email_region_budget_validated_with_clear_answers(bot_env: BotEnv) -> None:
    user = bot_env.user(2002, language_code="ru")
    await user.send("/settings")
    await user.reply()
    await user.press("📧 E-mail Google")
    await user.reply()
    await user.send("not an email")
    assert "не адрес e-mail" in (await user.reply()).text
    await user.send_sticker()
    assert "нужен текст" in (await user.reply()).text
    await user.send("ann@example.com")
    assert "E-mail Google для таблиц: ann@example.com" in (await user.reply()).text

    await user.press("📍 Регион")
    await user.reply()
    await user.send("Атлантида")
    assert "Атлантида" in (await user.reply()).text  # the brief's own error names the value
    await user.send("Москва")
    assert "Регион по умолчанию: Москва" in (await user.reply()).text

    await user.press("💰 Бюджет")
    await user.reply()
    await user.send("-5")
    answer = await user.reply()
    assert "Бюджет по умолчанию" not in answer.text
    await user.send("30 000")
    assert "Бюджет по умолчанию: 30 000" in (await user.reply()).text


async def test_cancel_leaves_a_settings_question_and_nothing_is_saved(bot_env: BotEnv) -> None:
    user = bot_env.user(2003, language_code="en")
    await user.send("/settings")
    await user.reply()
    await user.press("📧 Google e-mail")
    await user.reply()
    await user.send("/cancel")
    assert "Cancelled" in (await user.reply()).text
    await user.reply()  # the menu
    await user.send("bob@example.com")
    assert "didn't understand" in (await user.reply()).text
    me = await get_by_telegram_id(bot_env.app.db, user.id)
    assert me is not None and (await get_account(bot_env.app, me.id)).google_email is None


async def test_the_wizard_offers_the_default_region_and_budget_of_the_settings(
    bot_env: BotEnv,
) -> None:
    """Defaults saved on the settings screen are offered at the wizard's region and budget steps
    (a button and a hint), land in the brief when chosen, and go away when removed."""
    user = bot_env.user(2004, language_code="ru")
    await user.send("/settings")
    await user.reply()
    await user.press("📍 Регион")
    await user.reply()
    await user.send("Казань, Самара")
    await user.reply()
    await user.press("💰 Бюджет")
    await user.reply()
    await user.send("45000")
    screen = await user.reply()
    assert "Регион по умолчанию: Казань, Самара" in screen.text
    assert "Бюджет по умолчанию: 45 000" in screen.text
    assert "🗑 Удалить регион по умолчанию" in screen.button_texts

    async def to_region_step() -> None:
        await user.send("/new_campaign")
        await user.reply()
        await user.send("Ремонт холодильников")
        await user.reply()
        await user.send("ремонт холодильников на дому")
        await user.reply()
        await user.send("ремонт холодильников\nмастер по холодильникам")

    await to_region_step()
    region = await user.reply()
    assert "Шаг 4 из 6" in region.text
    assert "По умолчанию (из настроек): Казань, Самара" in region.text
    assert region.button_texts[0] == "⭐ Мой по умолчанию: Казань, Самара"
    await user.press("⭐ Мой по умолчанию: Казань, Самара")
    assert "Шаг 5 из 6" in (await user.reply()).text
    await user.send("fridge-fix.example.ru")
    budget = await user.reply()
    assert "По умолчанию (из настроек): 45 000 ₽" in budget.text
    await user.press("⭐ Мой по умолчанию: 45 000 ₽")
    summary = await user.reply()
    assert "Регион: Казань, Самара" in summary.text and "Бюджет: 45 000 ₽" in summary.text

    # Another answer than the default is taken as typed.
    await user.press("✏️ Бюджет")
    await user.reply()
    await user.send("10000")
    assert "Бюджет: 10 000 ₽" in (await user.reply()).text

    # Removed in the settings: the next wizard has no default button and no hint.
    await user.send("/settings")
    await user.reply()
    await user.press("🗑 Удалить регион по умолчанию")
    cleared = await user.reply()
    assert "Регион по умолчанию: Казань" not in cleared.text
    assert "🗑 Удалить регион по умолчанию" not in cleared.button_texts
    await to_region_step()
    region = await user.reply()
    assert "По умолчанию" not in region.text
    assert not any(b.startswith("⭐") for b in region.button_texts)
