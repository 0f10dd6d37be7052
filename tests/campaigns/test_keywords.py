from __future__ import annotations

import pytest

from tgassist.campaigns.keywords import (
    DEFAULT_MINUS_WORDS,
    KeywordCandidate,
    check_phrase,
    filter_keywords,
    lemma_key,
    multiply,
    sanitise,
)


@pytest.mark.parametrize(
    "raw, clean, minus",
    [
        ("Купить диван!", "купить диван", []),
        ('"купить диван"', '"купить диван"', []),
        ('"купить диван', "купить диван", []),
        ("[москва петербург] билеты", "[москва петербург] билеты", []),
        ("[[москва] билеты", "москва билеты", []),
        ("ремонт +в москве -бесплатно -своими", "ремонт +в москве", ["бесплатно", "своими"]),
        ("! купить", "купить", []),
        ("окна пвх, цена?", "окна пвх цена", []),
        ("санкт-петербург отели", "санкт-петербург отели", []),
        ("диван купить диван купить", "диван купить", []),
        ("+!купить кг 1.5", "!купить кг 1.5", []),
        # A remark in an analyst's sheet (wordstat_monthly_counts_manual_sheet.csv) is no query word.
        ("Кредитные карты (оверолл)", "кредитные карты", []),
    ],
)
def test_sanitise_keeps_operators_valid(raw: str, clean: str, minus: list[str]) -> None:
    assert sanitise(raw) == (clean, minus)
    assert check_phrase(clean) is None


def test_direct_rules() -> None:
    assert "7" in (check_phrase("раз два три четыре пять шесть семь восемь") or "")
    assert (
        check_phrase("купить диван в москве недорого с доставкой и сборкой") is None
    )  # stop words do not count
    assert "35" in (check_phrase("а" * 36) or "")


def test_implicit_duplicates_share_a_key() -> None:
    assert lemma_key("диваны купить в Москве") == lemma_key("купить диван москва")


def test_multiplication_leaves_frequency_empty() -> None:
    out = multiply(["угловой диван", "купить диван"], ["москва"])
    phrases = [k.phrase for k in out]
    assert "купить угловой диван" in phrases and "угловой диван цена москва" in phrases
    assert "купить купить диван" not in phrases  # a base with a modifier is not multiplied again
    assert all(k.frequency is None and k.source == "multiplication" for k in out)


def test_filtering() -> None:
    cands = [
        KeywordCandidate("купить диван", 500),
        KeywordCandidate("диван купить", 900),
        KeywordCandidate("диван своими руками", 800),
        KeywordCandidate("диваны бесплатно", 700),
        KeywordCandidate("диван редкий", 3),
        KeywordCandidate("диван из ротанга", 100),
        KeywordCandidate("диван для дачи", None),
        KeywordCandidate("раз два три четыре пять шесть семь восемь", 5),
    ]
    kept, report = filter_keywords(
        cands, base=["купить диван"], minus_words=["ротанг"], min_frequency=10, max_count=10
    )
    assert [k.phrase for k in kept] == ["диван купить", "диван для дачи"]
    assert (report.duplicates, report.minus, report.low_frequency, len(report.invalid)) == (
        1,
        3,
        1,
        1,
    )
    kept, report = filter_keywords(cands[:2] + cands[6:7], base=["диван"], max_count=1)
    assert len(kept) == 1 and report.over_limit == 1


def test_base_words_never_become_minus_words() -> None:
    assert "работа" in DEFAULT_MINUS_WORDS
    kept, _ = filter_keywords([KeywordCandidate("работа на дому", 10)], base=["работа на дому"])
    assert kept
