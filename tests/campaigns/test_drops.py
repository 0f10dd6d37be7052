"""Nothing dropped in silence: the build summary says what was left out and why (issue 11 item 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.campaigns.helpers import build, campaign_of
from tgassist.campaigns import service
from tgassist.campaigns.keywords import KeywordCandidate, filter_keywords
from tgassist.campaigns.summary import summary_lines
from tgassist.core.users import ensure_user


def by_reason(drops: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for d in drops:
        out.setdefault(d["reason"], []).append(d)
    return out


def test_a_shipped_minus_word_that_hits_the_product_is_not_applied_and_said() -> None:
    # Issue 11: the shipped minus word «фото» removed phrases a photo-book business needs, silently.
    cands = [
        KeywordCandidate("фотокнига из фото", 500),
        KeywordCandidate("печать фото в фотокниге", 300),
        KeywordCandidate("фотокнига бесплатно", 100),
        KeywordCandidate("фотокнига своими руками", 90),
        KeywordCandidate("скачать шаблон фотокниги", 80),
    ]
    kept, rep = filter_keywords(cands, base=["фотокнига"], product="фотокниги из ваших фото")
    assert {k.phrase for k in kept} == {"фотокнига из фото", "печать фото в фотокниге"}
    drops = by_reason(rep.drops)
    assert [d["word"] for d in drops["minus_word_not_applied"]] == ["фото"]
    assert {d["word"]: d["phrases"] for d in drops["minus_word"]} == {
        "бесплатно": ["фотокнига бесплатно"],
        "своими руками": ["фотокнига своими руками"],
        "скачать": ["скачать шаблон фотокниги"],
    }
    lines = summary_lines({"filter": rep.as_dict()}, "ru")
    assert any("«фото» не применено" in line for line in lines)
    assert any("«бесплатно»" in line and "«фотокнига бесплатно»" in line for line in lines)


def test_duplicates_limits_and_the_keyword_cap_are_listed() -> None:
    cands = [KeywordCandidate(f"купить диван модель {i}", 1000 - i) for i in range(10)]
    cands += [
        KeywordCandidate("диван модель 1 купить", 1),  # the same phrase, other word order
        KeywordCandidate("купить большой мягкий угловой диван с ящиком для белья недорого", 5),
    ]
    kept, rep = filter_keywords(cands, base=["диван"], max_count=4)
    assert len(kept) == 4
    drops = by_reason(rep.drops)
    assert drops["duplicates"][0]["pairs"] == [["купить диван модель 1", "диван модель 1 купить"]]
    assert drops["over_limits"][0]["items"][0]["problem"] == "too_many_words"
    cap = drops["keyword_limit"][0]
    assert (cap["count"], cap["limit"], cap["setting"]) == (6, 4, "TGASSIST_CAMPAIGNS_MAX_KEYWORDS")
    assert cap["phrases"][0] == "купить диван модель 4"  # the rarest are left out, and named
    text = "\n".join(summary_lines({"filter": rep.as_dict()}, "en"))
    assert "limit of 4 phrases" in text and "TGASSIST_CAMPAIGNS_MAX_KEYWORDS" in text


async def test_build_summary_of_an_imported_list(
    make_app: Any, brief_data: dict[str, Any], tmp_path: Path
) -> None:
    # Issue 11: 13,849 of 20,000 imported phrases were cut by the keyword limit, and nobody was told.
    app = await make_app(campaigns_max_keywords=5)
    user = await ensure_user(app.db, telegram_id=1)
    kw = tmp_path / "kw.csv"
    kw.write_text(
        "Фраза;Частота\n"
        + "".join(f"ремонт холодильника модель {i};{100 + i}\n" for i in range(12))
        + "ремонт холодильника бесплатно;5\nремонт холодильника;12 345\n12345;7\n",
        encoding="utf-8",
    )
    started = await service.create_campaign(app, user.id, {**brief_data, "keywords_file": str(kw)})
    await build(app)
    camp = await campaign_of(app, started.campaign_id)
    assert camp.status == "completed"
    drops = by_reason(camp.report["filter"]["drops"])
    assert drops["keyword_limit"][0]["limit"] == 5
    assert drops["minus_word"][0]["word"] == "бесплатно"
    assert camp.report["import"]["skipped"] == 1  # «12345» in the phrase column: not a phrase
    lines = summary_lines(camp.report, "ru")
    assert any("TGASSIST_CAMPAIGNS_MAX_KEYWORDS" in line for line in lines)
    assert any("«12345»" in line for line in lines)
