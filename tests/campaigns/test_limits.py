from __future__ import annotations

import pytest

from tgassist.campaigns.limits import (
    COUNT_LIMITS,
    LIMITS,
    SITELINK_BLOCK_CHARS,
    AdDraft,
    check_ad,
    counted_length,
    fit,
)


def test_the_table_holds_directs_limits() -> None:
    assert {k: v.max_chars for k, v in LIMITS.items()} == {
        "title": 56,
        "title2": 30,
        "text": 81,
        "extra_titles": 56,
        "extra_texts": 81,
        "display_link": 20,
        "sitelink_title": 30,
        "sitelink_description": 60,
        "callouts": 25,
    }
    assert {lim.field: lim.max_items for lim in COUNT_LIMITS}["sitelinks"] == 8
    assert LIMITS["title"].max_word == 22 and LIMITS["title"].allowance == 15
    assert SITELINK_BLOCK_CHARS == 66
    with pytest.raises(AttributeError):
        LIMITS["title"].max_chars = 100  # type: ignore[misc]


def test_narrow_punctuation_is_free_up_to_the_allowance() -> None:
    assert counted_length("Да, это так!") == 10
    assert counted_length("." * 20) == 5


def ok_ad(**kw: object) -> AdDraft:
    base = dict(title="Ремонт холодильников", text="Выезд за час. Гарантия год.", title2="От 990 ₽")
    base.update(kw)
    return AdDraft(**base)  # type: ignore[arg-type]


def test_a_good_ad_passes() -> None:
    assert (
        check_ad(
            ok_ad(
                sitelinks=[{"title": "Цены", "description": "Прайс", "url": "https://a.ru/p"}],
                callouts=["Без выходных"],
                display_link="Ремонт-холодильников",
            )
        )
        == []
    )


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(title="а" * 57), "title"),
        (dict(title2="б" * 31), "title2"),
        (dict(text="в " * 41 + "г"), "text"),
        (dict(text="Сверхдлинноесловобезпробеловиещё"), "text"),
        (dict(display_link="очень-длинная-ссылка-сайта"), "display_link"),
        (dict(display_link="ссылка!"), "display_link"),
        (dict(callouts=["уточнение длиннее двадцати пяти"]), "callouts"),
        (dict(sitelinks=[{"title": "т" * 31, "url": "https://a.ru"}]), "sitelink_title"),
        (
            dict(sitelinks=[{"title": "т", "description": "о" * 61, "url": "https://a.ru"}]),
            "sitelink_description",
        ),
        (dict(sitelinks=[{"title": "т" * 17, "url": "https://a.ru"}] * 4), "sitelinks"),
        (dict(sitelinks=[{"title": "т", "url": "https://a.ru"}] * 9), "sitelinks"),
        (dict(extra_titles=["x"] * 6), "extra_titles"),
        (dict(title=""), "title"),
    ],
)
def test_each_violation_is_caught(kw: dict[str, object], field: str) -> None:
    assert field in {v.field for v in check_ad(ok_ad(**kw))}


def test_fit_cuts_at_a_word() -> None:
    text = fit(
        "Быстрый ремонт холодильников любых марок на дому в Москве и области без выходных",
        LIMITS["title"],
    )
    assert counted_length(text) <= 56 and not text.endswith(" ")
    assert "Быстрый ремонт холодильников любых марок на дому в Москве и области без выходных".startswith(
        text
    )
