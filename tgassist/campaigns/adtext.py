"""What an ad may say of a keyword phrase: the context from the brief, the search modifiers an ad moves or
drops, abbreviations as they are written, and words that must not be presented as the product."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tgassist.ai.text import LATIN_RE, lemma, morph, tokens
from tgassist.campaigns.morph import known_word

PREPOSITIONS = frozenset(
    {"в", "во", "на", "по", "с", "со", "для", "от", "и", "к", "из", "под", "за", "у"}
)
# Search modifiers that read badly inside an ad sentence ("Надёжный купить диван недорого").
AD_NOISE = frozenset(
    lemma(w)
    for w in (
        "купить",
        "заказать",
        "цена",
        "стоимость",
        "недорого",
        "недорогой",
        "дорого",
        "дорогой",
        "дешево",
        "дешевый",
        "сколько",
        "стоить",
        "где",
        "рядом",
        "срочно",
        "отзыв",
        "официальный",
        "сайт",
        "интернет",
        "магазин",
        "онлайн",
        "каталог",
        "акция",
        "скидка",
        "распродажа",
        "прайс",
        "круглосуточно",
        "вызвать",
        "найти",
        "нужный",
    )
)

# How search modifiers read in a headline: verbs lead («Купить диван в Москве»), nouns follow a dash
# («Диван в Москве — цена»); «Диван купить в Москве» or «Диван цена в Москве» is not Russian.
LEAD_VERBS = frozenset(
    lemma(w) for w in ("купить", "заказать", "вызвать", "подобрать", "выбрать", "найти")
)
# Adverbs of a search that follow the dash too: «Создание лендинга в Москве — дешево», never
# «Создание лендинга дешево в Москве».
TAIL_ADVERBS = frozenset(
    lemma(w) for w in ("недорого", "дешево", "срочно", "круглосуточно", "быстро", "дорого")
)
TAIL_NOUNS = frozenset(
    lemma(w)
    for w in (
        "цена",
        "стоимость",
        "каталог",
        "прайс",
        "отзыв",
        "отзывы",
        "акция",
        "скидка",
        "распродажа",
        "фото",
    )
)
# Abbreviations as they are written; keywords arrive lower-cased («окна пвх» → «Окна ПВХ»).
ABBREVIATIONS = {
    "пвх": "ПВХ",
    "мфу": "МФУ",
    "спб": "СПб",
    "мкад": "МКАД",
    "рф": "РФ",
    "жк": "ЖК",
    "ооо": "ООО",
    "узи": "УЗИ",
    "мрт": "МРТ",
    "ндфл": "НДФЛ",
    "ндс": "НДС",
    "ип": "ИП",
    "тв": "ТВ",
    "дтп": "ДТП",
    "осаго": "ОСАГО",
    "каско": "КАСКО",
    "егэ": "ЕГЭ",
    "огэ": "ОГЭ",
    "led": "LED",
    "usb": "USB",
    "ssd": "SSD",
    "gps": "GPS",
    "мск": "Мск",
    "пк": "ПК",
    "акпп": "АКПП",
    "мкпп": "МКПП",
    "кпп": "КПП",
    "двс": "ДВС",
    "грм": "ГРМ",
    "кт": "КТ",
    "усн": "УСН",
    "эцп": "ЭЦП",
    "жкх": "ЖКХ",
}
_VOWELS = re.compile(r"[аеёиоуыэюяaeiouy]")
_WORD_TOKEN = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+")


# Units and short forms with no vowel that are written in lower case.
_LOWER_SHORT = frozenset("млн млрд шт кг км см мм мл гр кв вт квт гц мгц тг".split())


def _abbreviation(word: str) -> str:
    low = word.lower()
    if low in ABBREVIATIONS:
        return ABBREVIATIONS[low]
    if 2 <= len(low) <= 5 and low not in _LOWER_SHORT and re.fullmatch(r"[б-дж-зй-нп-тф-щ]+", low):
        return low.upper()  # no vowel: «двс», «грм», «кт» are read letter by letter
    return word


def fix_abbreviations(text: str) -> str:
    """«Окна пвх в спб» → «Окна ПВХ в СПб», «ремонт двс» → «ремонт ДВС»."""
    return _WORD_TOKEN.sub(lambda m: _abbreviation(m.group(0)), text)


@dataclass(frozen=True)
class AdContext:
    """What templates and the LLM know about the campaign: from the brief and the ad group."""

    product: str
    url: str
    where: str = ""
    price: str | None = None
    advantages: tuple[str, ...] = ()
    callouts: tuple[str, ...] = ()
    sitelinks: tuple[dict[str, str], ...] = ()
    region_words: frozenset[str] = field(default_factory=frozenset)
    brief_words: frozenset[str] = field(default_factory=frozenset)  # words of product, name, bases
    # Lemmas the keyword list uses as a phrase's head noun / only as a genitive dependent (wording.py).
    heads: frozenset[str] = field(default_factory=frozenset)
    dependents: frozenset[str] = field(default_factory=frozenset)


@lru_cache(maxsize=50_000)
def word_parses(word: str) -> tuple[Any, ...]:
    """pymorphy3 readings of a lower-case word, cached: the same words recur in every group."""
    return tuple(morph().parse(word))


@lru_cache(maxsize=50_000)
def unlike_product(word: str) -> bool:
    """A Latin word, a name, or a word the dictionary does not know (abbreviations excepted)."""
    if "-" in word:
        return any(unlike_product(part) for part in word.split("-") if part)
    grams = set(str(morph().parse(word)[0].tag).replace(" ", ",").split(","))
    if (
        "Abbr" in grams
        or word in ABBREVIATIONS
        or not (_VOWELS.search(word) or LATIN_RE.search(word))
    ):
        return False  # «ООО», «НДФЛ»: abbreviations, not names
    named = bool({"Name", "Surn", "Trad"} & grams)
    return bool(LATIN_RE.search(word)) or not known_word(word) or named


def foreign_words(text: str, ctx: AdContext) -> list[str]:
    """Words an ad must not present as the product: Latin words, names and words the dictionary does not
    know (brands, competitors' names from the keyword list) that the brief itself does not use."""
    return list(_foreign(text, ctx.brief_words, ctx.region_words))


@lru_cache(maxsize=50_000)
def _foreign(
    text: str, brief_words: frozenset[str], region_words: frozenset[str]
) -> tuple[str, ...]:
    if not brief_words:
        return ()
    stems = {w[:5] for w in brief_words}
    return tuple(
        w
        for w in tokens(text)
        if not (w.isdigit() or w[:5] in stems or lemma(w) in region_words) and unlike_product(w)
    )
