"""Reading channels in the bot over the fake Bot API: /search with pages, links and "more like
this", /ask (and follow-up questions), /digest settings and delivery with 👍/👎, /trends with
its chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.bot.conftest import BotEnv
from tests.channels.read_util import add_posts, index_posts, make_channel
from tgassist.channels.digests import send_due
from tgassist.channels.read_models import DigestDelivery, PostFeedback
from tgassist.channels.service import subscribe
from tgassist.core.users import get_by_telegram_id

NOW = datetime.now(UTC)
TEXTS = [
    "В городе открыли новый парк с фонтанами и аллеями у реки.",
    "Фонтаны в центральном парке заработают с первого мая.",
    "Парк Горького закрывают на реконструкцию фонтанов до осени.",
    "Жители выбрали проект парка: велодорожки, фонтан и детская площадка.",
    "В парке у вокзала высадили сто лип, а фонтан отремонтируют летом.",
    "Новый парк на набережной получил премию за лучший фонтан года.",
    "Мэрия выделила деньги на освещение парков и ремонт фонтанов.",
]


async def _follow(env: BotEnv, telegram_id: int, lang: str) -> tuple[int, list[int]]:
    user = env.user(telegram_id, language_code=lang)
    await user.send("/start")
    await user.reply()  # welcome and the main menu
    view = await get_by_telegram_id(env.app.db, telegram_id)
    assert view is not None
    ch = await make_channel(env.app, "parknews", "Park News")
    ids = await add_posts(env.app, ch, TEXTS, start=NOW - timedelta(hours=8))
    await index_posts(env.app, ids)
    await subscribe(env.app, view.id, ch)
    return view.id, ids


async def test_search_pages_links_and_more_like_this(bot_env: BotEnv) -> None:
    await _follow(bot_env, 3101, "en")
    user = bot_env.server.user(3101)
    await user.send("/search парк с фонтанами")
    page1 = await user.reply()
    assert "7 found" in page1.text and "<b>" not in page1.text  # marks are rendered as bold
    assert "1. @parknews" in page1.text
    links = [b for row in page1.buttons for b in row if b.url]
    assert links and links[0].url.startswith("https://t.me/parknews/")
    assert "1/2" in page1.button_texts
    await user.press("▶️")
    page2 = await user.reply()
    assert "6. @parknews" in page2.text
    await user.press(next(b for b in page2.button_texts if b.startswith("🔎")))
    similar = await user.reply()
    assert "More like this" in similar.text and "@parknews" in similar.text

    await user.send("/search и что")
    assert "only common words" in (await user.reply()).text


async def test_ask_then_follow_up_questions_and_not_found(bot_env: BotEnv) -> None:
    await _follow(bot_env, 3102, "ru")
    user = bot_env.server.user(3102)
    await user.send("/ask Когда заработают фонтаны в центральном парке?")
    answer = await user.reply()
    assert "[1]" in answer.text and "Источники" in answer.text
    assert any(b.url and "t.me/parknews" in b.url for row in answer.buttons for b in row)
    await user.send("Кто выиграл чемпионат мира по шахматам?")
    assert "ответа не нашлось" in (await user.reply()).text


async def test_plain_text_in_the_channels_section_is_a_question(bot_env: BotEnv) -> None:
    """A question typed in the Channels section (the menu's Channels, or /channels) is answered;
    the follow prompt still takes a @username, and outside the section text is not a question."""
    await _follow(bot_env, 3105, "en")
    user = bot_env.server.user(3105)
    question = "Когда заработают фонтаны в центральном парке?"

    await user.send(question)  # in the main menu: not a question
    assert "didn't understand" in (await user.reply()).text

    await user.press("📢 Channels")
    home = await user.reply()
    assert "Send a question as a message" in home.text
    await user.send(question)
    answer = await user.reply()
    assert "[1]" in answer.text and "Sources" in answer.text and "мая" in answer.text
    assert any(b.url and "t.me/parknews" in b.url for row in answer.buttons for b in row)

    # The follow prompt inside the section takes a channel, not a question.
    await user.press("☰ Menu")
    await user.reply()
    await user.send("/channels")
    await user.reply()
    await user.press("➕ Follow a channel")
    await user.reply()
    await user.send("@another_channel")
    followed = await user.reply()
    assert "You follow @another_channel" in followed.text and "[1]" not in followed.text
    await user.send("Какой парк получил премию за лучший фонтан?")  # back in the section
    again = await user.reply()
    assert "[1]" in again.text and "премию" in again.text

    # A command in the section is a command, and leaving the section (the menu) ends questions.
    await user.send("/digest")
    assert "Digest: off" in (await user.reply()).text
    await user.send("/channels")
    await user.reply()
    await user.press("☰ Menu")
    await user.reply()
    await user.send(question)
    assert "didn't understand" in (await user.reply()).text

    # Another section's command leaves the Channels section too.
    await user.send("/channels")
    await user.reply()
    await user.send("/history")
    await user.reply()
    await user.send(question)
    assert "didn't understand" in (await user.reply()).text


async def test_digest_settings_delivery_and_feedback(bot_env: BotEnv) -> None:
    uid, ids = await _follow(bot_env, 3103, "en")
    user = bot_env.server.user(3103)
    await user.send("/digest")
    screen = await user.reply()
    assert "Digest: off" in screen.text
    await user.press("✅ Turn on")
    assert "Digest: on" in (await user.reply()).text
    await user.press("🕘 Time")
    await user.reply()
    await user.send("25:99")
    assert "not a time of day" in (await user.reply()).text
    await user.send("00:00")
    assert "Time: 00:00 (UTC)" in (await user.reply()).text

    report = await send_due(bot_env.app)
    assert report.sent == 1
    digest = await user.reply(timeout=10)
    assert "Your digest" in digest.text and "t.me/parknews" in digest.text
    assert "👍 1" in digest.button_texts
    await user.press("👎 1")
    assert "less like this" in (await user.callback_answer())["text"]
    async with bot_env.app.db.session() as s:
        assert await s.scalar(select(PostFeedback.value).where(PostFeedback.user_id == uid)) == -1
        assert len((await s.scalars(select(DigestDelivery))).all()) == 1
    assert (await send_due(bot_env.app)).sent == 0  # once per period


async def test_trends_with_chart(bot_env: BotEnv) -> None:
    user = bot_env.user(3104, language_code="en")
    await user.send("/start")
    await user.reply()
    for i in range(3):
        ch = await make_channel(bot_env.app, f"tr{i}", f"Tr {i}")
        await add_posts(
            bot_env.app,
            ch,
            ["Солнечное затмение видно над Москвой.", "Затмение солнечное удивило жителей."],
            start=NOW - timedelta(hours=3),
        )
    await user.send("/trends")
    text = await user.reply()
    assert "Trends of the last 24 h" in text.text and "затмение" in text.text
    chart = await user.reply()
    assert chart.photo and chart.photo.startswith(b"\x89PNG")
