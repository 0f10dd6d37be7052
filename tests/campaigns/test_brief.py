from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tgassist.campaigns import BriefError, load_brief_file, validate_brief
from tgassist.campaigns.brief import normalise_url


def test_valid_brief_is_normalised(brief_data: dict[str, Any]) -> None:
    brief = validate_brief(
        {
            **brief_data,
            "url": "Fridge-Fix.Example.RU:443/Ремонт?x=1#top",
            "budget": "30 000",
            "region": ["Москва", "спб", 11119],
        }
    )
    assert brief.url == "https://fridge-fix.example.ru/Ремонт?x=1"
    assert brief.budget == 30000
    assert brief.region_ids == (213, 2, 11119)
    assert brief.region_names[:2] == ("Москва", "Санкт-Петербург")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "htp://example.ru",
        "ftp://example.ru",
        "https://exa mple.ru",
        "http://localhost",
        "https://-bad-.ru",
        "http://1.2.3",
        "https://example.ru:99999",
    ],
)
def test_invalid_url_names_the_field(brief_data: dict[str, Any], url: str) -> None:
    with pytest.raises(BriefError) as err:
        validate_brief({**brief_data, "url": url})
    assert [e.field for e in err.value.errors] == ["url"]
    assert "url:" in err.value.render("ru")


def test_scheme_is_added_and_idn_hosts_accepted() -> None:
    assert normalise_url("окна.рф/каталог")[0] == "https://окна.рф/каталог"
    assert normalise_url("HTTP://Example.ru:80")[0] == "http://example.ru/"


@pytest.mark.parametrize(
    "phrases", [[], ["  "], [f"фраза {i}" for i in range(500)], [f"фраза {i}" for i in range(51)]]
)
def test_base_phrases_count(brief_data: dict[str, Any], phrases: list[str]) -> None:
    with pytest.raises(BriefError) as err:
        validate_brief({**brief_data, "base_phrases": phrases})
    assert err.value.errors[0].field == "base_phrases"
    assert "50" in err.value.render("ru") or "хотя бы одна" in err.value.render("ru")


def test_fifty_phrases_are_fine(brief_data: dict[str, Any]) -> None:
    assert (
        len(
            validate_brief(
                {**brief_data, "base_phrases": [f"фраза {i}" for i in range(50)]}
            ).base_phrases
        )
        == 50
    )


def test_unknown_region_lists_what_to_type(brief_data: dict[str, Any]) -> None:
    with pytest.raises(BriefError) as err:
        validate_brief({**brief_data, "region": "Тмутаракань"})
    text = err.value.render("ru")
    assert (
        "region" in text and "Тмутаракань" in text and "Москва (213)" in text and "geo id" in text
    )


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(BriefError) as err:
        validate_brief(
            {
                "name": "",
                "product": "",
                "base_phrases": [],
                "region": None,
                "url": "x",
                "budget": -1,
                "callouts": ["уточнение длиннее двадцати пяти знаков"],
                "sitelinks": [{"title": "Очень длинный заголовок быстрой ссылки"}],
            }
        )
    fields = {e.field for e in err.value.errors}
    assert fields == {
        "name",
        "product",
        "base_phrases",
        "region",
        "url",
        "budget",
        "callouts",
        "sitelinks",
    }


def test_brief_file_resolves_keyword_file(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("name: A\nkeywords_file: kw.csv\n", encoding="utf-8")
    assert load_brief_file(tmp_path / "b.yaml")["keywords_file"] == str(tmp_path / "kw.csv")
    (tmp_path / "bad.yaml").write_text("name: [", encoding="utf-8")
    with pytest.raises(BriefError, match="YAML"):
        load_brief_file(tmp_path / "bad.yaml")


def test_example_brief_is_valid() -> None:
    data = load_brief_file(Path(__file__).resolve().parents[2] / "examples" / "brief.yaml")
    brief = validate_brief(data)
    assert brief.keywords_file and Path(brief.keywords_file).is_file()


@pytest.mark.parametrize(
    ("phrase", "why"),
    [
        ("!!!", "нет ни одного слова"),
        ("окна пвх купить недорого москва установка под ключ производитель", "больше 7"),
        ("электрокардиографаавтоматическогодлябольниц", "длиннее 35"),
    ],
)
def test_base_phrase_direct_would_refuse_names_the_field(
    brief_data: dict[str, Any], phrase: str, why: str
) -> None:
    # Such a phrase used to pass and be dropped later (or multiplied into junk such as «москва», «цена»).
    with pytest.raises(BriefError) as err:
        validate_brief({**brief_data, "base_phrases": [phrase, "ремонт холодильников"]})
    assert [e.field for e in err.value.errors] == ["base_phrases"]
    assert (
        phrase in err.value.render("ru")
        and why in err.value.render("ru")
        and "например" in err.value.render("ru")
    )


def test_base_phrase_operators_and_minus_words_are_fine(brief_data: dict[str, Any]) -> None:
    ok = ["!ремонт холодильников", '"мастер по холодильникам"', "ремонт +на дому -бесплатно"]
    assert validate_brief({**brief_data, "base_phrases": ok}).base_phrases == tuple(ok)
