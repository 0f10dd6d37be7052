"""Search: hybrid ranking, filters, albums, reposts, snippets, links, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.channels.read_util import NOW, add_posts, index_posts, make_channel
from tgassist.app import App
from tgassist.channels.read_errors import ReadError
from tgassist.channels.search import SearchQuery, search

POSTS_A = [
    "Центробанк повысил ключевую ставку до 21 процента, чтобы сдержать инфляцию.",
    "Сборная Аргентины выиграла финал чемпионата мира по футболу в серии пенальти.",
    "Apple released a new MacBook Pro with the M5 chip and a brighter display.",
    "В Москве открыли новую станцию метро «Бульвар Генерала Карбышева».",
]
POSTS_B = [
    "Python 3.14 ships a free-threaded interpreter without the global interpreter lock.",
    "Курс биткоина впервые превысил сто тысяч долларов на фоне притока в ETF.",
    "Центробанк повысил ключевую ставку до 21 процента, чтобы сдержать инфляцию!",  # a repost
]


async def _world(app: App) -> dict[str, int]:
    a = await make_channel(app, "newsa", "News A")
    b = await make_channel(app, None, "Private Export")
    ids_a = await add_posts(app, a, POSTS_A, start=NOW - timedelta(days=3))
    ids_b = await add_posts(app, b, POSTS_B, start=NOW - timedelta(days=2))
    await index_posts(app, ids_a + ids_b)
    return {"a": a, "b": b, "rate": ids_a[0], "repost": ids_b[2], "btc": ids_b[1], "py": ids_b[0]}


async def test_hybrid_search_finds_paraphrases_marks_words_and_links(app: App) -> None:
    w = await _world(app)
    res = await search(app, SearchQuery("ставка центрального банка"), now=NOW)
    top = res.hits[0]
    assert top.post_id in (w["rate"], w["repost"])
    assert "**" in top.snippet and "ставк" in top.snippet.lower()
    assert {h.post_id for h in res.hits} & {w["rate"], w["repost"]} == {top.post_id}
    assert top.duplicates  # the repost was collapsed into the first hit
    by_id = {h.post_id: h for h in res.hits}
    if w["rate"] in by_id:
        assert by_id[w["rate"]].url and by_id[w["rate"]].url.startswith("https://t.me/newsa/")
    # a paraphrase in the other language, found by meaning
    res = await search(app, SearchQuery("cryptocurrency price record"), now=NOW)
    assert res.hits[0].post_id == w["btc"]
    assert res.hits[0].url is None and "Private Export" in res.hits[0].source_label


async def test_filters_channel_and_dates(app: App) -> None:
    w = await _world(app)
    res = await search(app, SearchQuery("ключевая ставка", channel_ids=(w["a"],)), now=NOW)
    assert {h.channel_id for h in res.hits} == {w["a"]}
    res = await search(
        app, SearchQuery("интерпретатор python", since=NOW - timedelta(days=2, hours=1)), now=NOW
    )
    assert all(h.date >= NOW - timedelta(days=2, hours=1) for h in res.hits)
    assert res.hits[0].post_id == w["py"]


async def test_typos_and_mixed_scripts(app: App) -> None:
    w = await _world(app)
    # "биткоена" (typo), "Mоскве" with a Latin M, "gbnjy" = "питон" typed in the English layout
    res = await search(app, SearchQuery("курс биткоена"), now=NOW)
    assert res.hits[0].post_id == w["btc"]
    res = await search(app, SearchQuery("станция метро в Mоскве"), now=NOW)
    assert "метро" in res.hits[0].snippet.lower()
    assert res.hits[0].matched_in == ("text",)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "search.query_empty"),
        ("   ", "search.query_empty"),
        ("x" * 5000, "search.query_too_long"),
        ("и что это the of", "search.query_no_words"),
    ],
)
async def test_bad_queries_get_a_specific_answer(app: App, text: str, key: str) -> None:
    with pytest.raises(ReadError) as err:
        await search(app, SearchQuery(text))
    assert err.value.key == key
    assert err.value.render("ru") != key and str(err.value) != key
