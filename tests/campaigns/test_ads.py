from __future__ import annotations

import json
from typing import Any

from tests.fakes.openai_server import FakeOpenAI
from tgassist.ai.llm import build_llm
from tgassist.campaigns.ads import ads_report, generate_group_ads, keyword_in_title
from tgassist.campaigns.limits import check_ad
from tgassist.campaigns.morph import agree, inflect_phrase
from tgassist.campaigns.templates import AdContext, display_link, template_ads

CTX = AdContext(
    product="ремонт техники",
    url="https://a.ru/",
    where="в Москве",
    price="от 990 ₽",
    advantages=("Выезд за 1 час", "Гарантия 1 год"),
    callouts=("Без выходных",),
    sitelinks=({"title": "Цены", "description": "Прайс", "url": "https://a.ru/p"},),
    region_words=frozenset({"москва"}),
)


def test_agreement() -> None:
    assert agree("надёжный", "доставка пиццы") == "надёжная"
    assert agree("надёжный", "пластиковые окна") == "надёжные"
    assert inflect_phrase("стиральная машина", "accs") == "стиральную машину"
    assert inflect_phrase("угловой диван", "gent") == "углового дивана"


def test_templates_are_within_limits_and_agree() -> None:
    phrases = [
        "ремонт холодильников",
        "доставка пиццы москва",
        "купить угловой диван недорого",
        "пластиковые окна rehau цена",
        "электрокардиостимуляторовый ремонт на дому срочно",
        "курсы английского языка для взрослых онлайн с носителем",
    ]
    for p in phrases:
        ads = template_ads(p, CTX, 3)
        assert len(ads) == 3
        for ad in ads:
            assert check_ad(ad) == [], (p, ad)
    pizza = template_ads("доставка пиццы", CTX, 1)[0]
    assert pizza.title == "Доставка пиццы в Москве"
    assert pizza.text.startswith("Доставка пиццы в Москве")  # no epithet in the lead (issue 11)
    assert keyword_in_title("доставка пиццы", pizza)


def ads_json(title: str, text: str, n: int = 2) -> str:
    return json.dumps(
        {
            "ads": [
                {
                    "title": f"{title} {i}",
                    "title2": "От 990 ₽",
                    "text": text,
                    "extra_titles": ["Ремонт за 1 день"],
                    "extra_texts": [],
                }
                for i in range(n)
            ]
        },
        ensure_ascii=False,
    )


async def test_llm_too_long_texts_are_repaired(settings_factory: Any) -> None:
    with FakeOpenAI() as fake:
        fake.queue(
            ads_json("Ремонт холодильников " * 5, "Очень " * 30),
            ads_json("Ремонт холодильников", "Быстро."),
        )
        llm = build_llm(
            settings_factory(
                llm_provider="openai", llm_base_url=fake.url, llm_api_key="k", llm_max_retries=0
            ),
            None,
        )
        result = await generate_group_ads(
            llm, "ремонт холодильников", ["ремонт холодильников"], CTX, 2, 3
        )
        assert result.generator == "llm" and result.llm_calls == 2
        assert fake.count("/chat/completions") == 2
        repair = fake.chat_requests[1]["messages"][-1]["content"]
        assert "символов, можно 56" in repair  # the violations are sent back
        assert [a.title for a in result.ads] == ["Ремонт холодильников 0", "Ремонт холодильников 1"]
        assert all(check_ad(a) == [] for a in result.ads)
        await llm.aclose()


async def test_llm_broken_json_falls_back_to_templates(settings_factory: Any) -> None:
    with FakeOpenAI() as fake:
        fake.responder = lambda req: "Конечно! Вот объявления: {ads: [title: ..."
        llm = build_llm(
            settings_factory(
                llm_provider="openai", llm_base_url=fake.url, llm_api_key="k", llm_max_retries=0
            ),
            None,
        )
        result = await generate_group_ads(
            llm, "ремонт холодильников", ["ремонт холодильников"], CTX, 2, 3
        )
        assert result.generator == "template_after_llm" and fake.count("/chat/completions") == 3
        assert len(result.ads) == 2 and all(check_ad(a) == [] for a in result.ads)
        await llm.aclose()


def test_report() -> None:
    ads = template_ads("ремонт холодильников", CTX, 2)
    bad = template_ads("ремонт холодильников", CTX, 1)[0]
    bad.title = "x" * 70
    rep = ads_report([("ремонт холодильников", ads), ("ремонт холодильников", [bad])])
    assert rep["ads"] == 3 and rep["compliance"] == round(2 / 3, 4)
    assert rep["keyword_in_title"] == round(2 / 3, 4) and rep["violations"]
    assert ads_report([("g", ads + [ads[0]])])["duplicates"] == 0.3333


def test_search_modifiers_read_as_russian_in_titles() -> None:
    # Titles used to glue the phrase and the region: «Модульный диван цена в Москве», «Диван купить в Москве».
    cases = {
        "модульный диван цена": "Модульный диван в Москве — цена",
        "угловой диван каталог": "Угловой диван в Москве — каталог",
        "диван купить": "Купить диван в Москве",
        "кожаный диван москва": "Кожаный диван в Москве",
        "пластиковые окна цена москва": "Пластиковые окна в Москве — цена",
        "угловой диван недорого": "Угловой диван в Москве — недорого",
        "окна пвх": "Окна ПВХ в Москве",
    }
    for phrase, title in cases.items():
        ads = template_ads(phrase, CTX, 2)
        assert [a.title for a in ads] == [title, title], phrase
        assert all(check_ad(a) == [] and keyword_in_title(phrase, a) for a in ads), phrase
    assert "ПВХ" in template_ads("окна пвх", CTX, 1)[0].text


def test_display_link_never_ends_on_a_preposition() -> None:
    assert display_link("диван кровать для ежедневного сна") == "Диван-кровать"
    assert display_link("ремонт на дому") == "Ремонт-на-дому"


def test_lead_verb_takes_the_accusative_and_prepositions_survive() -> None:
    from tgassist.campaigns.brief import validate_brief
    from tgassist.campaigns.stages import ad_context

    ctx = ad_context(
        validate_brief(
            {
                "name": "Т",
                "product": "услуги",
                "base_phrases": ["ремонт"],
                "region": "Москва",
                "url": "a.ru",
            }
        )
    )
    assert (
        "в" not in ctx.region_words
    )  # «в москве» used to make «в» a region word: «Аренда авто аэропорту»
    cases = {
        "репетитор по высшей математике купить": "Купить репетитора по высшей математике в Москве",
        "подготовка к огэ купить": "Купить подготовку к ОГЭ в Москве",
        "аренда авто в аэропорту отзывы": "Аренда авто в аэропорту в Москве — отзывы",
    }
    for phrase, title in cases.items():
        ad = template_ads(phrase, ctx, 1)[0]
        assert ad.title == title and keyword_in_title(phrase, ad) and check_ad(ad) == [], phrase
    assert template_ads("аренда авто в аэропорту", ctx, 1)[0].text.startswith(
        "Аренда авто в аэропорту"
    )


async def test_llm_ads_display_link_leaves_search_modifiers_out(settings_factory: Any) -> None:
    with FakeOpenAI() as fake:
        fake.queue(ads_json("Окна ПВХ", "Быстро."))
        llm = build_llm(
            settings_factory(
                llm_provider="openai", llm_base_url=fake.url, llm_api_key="k", llm_max_retries=0
            ),
            None,
        )
        result = await generate_group_ads(
            llm, "окна пвх цена москва", ["окна пвх цена москва"], CTX
        )
        assert result.generator == "llm"
        assert {a.display_link for a in result.ads} == {"Окна-ПВХ"}  # was «Окна-пвх-цена-москва»
        await llm.aclose()


def test_no_headline_repeats_within_an_ad_after_abbreviations() -> None:
    ctx = AdContext(
        product="окна",
        url="https://a.ru/",
        where="в Москве",
        advantages=("Окна ПВХ в Москве", "Гарантия"),
        region_words=frozenset({"москва"}),
    )
    for ad in template_ads("окна пвх", ctx, 3):
        heads = [h.lower() for h in ad.headlines()]
        assert len(heads) == len(set(heads)), ad.headlines()
