"""Offline ad texts: morphology-aware templates (pymorphy3 agreement, capitalisation, limits fitted)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tgassist.ai.text import LATIN_RE, lemma, morph, tokens
from tgassist.campaigns.grammar import problems
from tgassist.campaigns.lexicon import ACTION_OF, COMPOUND_NOUNS, ORDER_VERB_OF
from tgassist.campaigns.limits import LIMITS, AdDraft, TextLimit, counted_length, fit
from tgassist.campaigns.morph import agree, inflect_phrase, nominative

ADJECTIVES = ("выгодный", "надёжный", "качественный", "современный", "удобный")
CTAS = (
    "Оставьте заявку на сайте!",
    "Закажите онлайн!",
    "Звоните и заказывайте!",
    "Узнайте цены на сайте!",
)
TITLE2_FALLBACK = (
    "Выгодные цены",
    "Консультация бесплатно",
    "Работаем без выходных",
    "Закажите онлайн",
)
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
}
_VOWELS = re.compile(r"[аеёиоуыэюяaeiouy]")
_WORD_TOKEN = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+")


def fix_abbreviations(text: str) -> str:
    """«Окна пвх в спб» → «Окна ПВХ в СПб»."""
    return _WORD_TOKEN.sub(lambda m: ABBREVIATIONS.get(m.group(0).lower(), m.group(0)), text)


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


@lru_cache(maxsize=50_000)
def _parses(word: str) -> tuple[Any, ...]:
    """pymorphy3 readings of a lower-case word, cached: the same words recur in every group."""
    return tuple(morph().parse(word))


@lru_cache(maxsize=50_000)
def _unlike_product(word: str) -> bool:
    """A Latin word, a name, or a word the dictionary does not know (abbreviations excepted)."""
    if "-" in word:
        return any(_unlike_product(part) for part in word.split("-") if part)
    grams = set(str(morph().parse(word)[0].tag).replace(" ", ",").split(","))
    if (
        "Abbr" in grams
        or word in ABBREVIATIONS
        or not (_VOWELS.search(word) or LATIN_RE.search(word))
    ):
        return False  # «ООО», «НДФЛ»: abbreviations, not names
    named = bool({"Name", "Surn", "Trad"} & grams)
    return bool(LATIN_RE.search(word)) or not morph().word_is_known(word) or named


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
        if not (w.isdigit() or w[:5] in stems or lemma(w) in region_words) and _unlike_product(w)
    )


CONJUNCTIONS = frozenset({"и", "или"})
# Nouns of an action that say nothing without their object («создание», «разработка»).
_ACTION_NOUNS = frozenset(lemma(w) for w in "разработка настройка доставка продвижение".split())


def _action_noun(word: str) -> bool:
    lem = lemma(word.lower())
    return lem in ACTION_OF or lem in _ACTION_NOUNS or lem.endswith(("ание", "ение", "тие"))


def _without_other_places(phrase: str, ctx: AdContext) -> str:
    """The phrase without a place that is not the campaign's («ремонт компьютеров в киселевске» in a
    Moscow campaign): the ad says the campaign's own place, never two."""
    words = phrase.split()
    out: list[str] = []
    for w in words:
        low = w.lower()
        tag = _parses(low)[0].tag
        if (
            "Geox" in tag
            and lemma(low) not in ctx.region_words
            and low[:5] not in {b[:5] for b in ctx.brief_words}
        ):
            if out and out[-1].lower() in PREPOSITIONS:
                out.pop()
            continue
        out.append(w)
    return " ".join(out) if out else phrase


def order_verb(noun_group: str) -> str:
    """«Закажите», or «Оформите» for a card, a loan, an account, «Запишитесь на» for a course:
    by the head noun of the group (the first noun)."""
    for w in noun_group.split():
        if _pos(w.lower()) & {"NOUN"}:
            return ORDER_VERB_OF.get(lemma(w.lower()), "Закажите")
    return "Закажите"


def _after_tail_noun(phrase: str, first: str) -> bool:
    """Whether the noun group starting with `first` follows «цена», «стоимость» … in `phrase`: then it
    is in the genitive («стоимость разработки лендинга»)."""
    words = [w.lower() for w in phrase.split()]
    at = words.index(first.lower()) if first.lower() in words else 0
    return any(lemma(w) in TAIL_NOUNS for w in words[:at])


def _apposition(prev: str, word: str, ctx: AdContext, before: str = "") -> bool:
    """`word` names the thing before it rather than saying what it is: a noun in the nominative right
    after the head noun («кредитная карта альфа», «карта сбер», «диван аскона») is a name — a bank's, a
    maker's, a competitor's — or a word the dictionary does not know after a noun («карты отп»).
    Known compounds («диван кровать») and the brief's own words are not names."""
    a, b = prev.lower(), word.lower()
    if b in PREPOSITIONS or a in PREPOSITIONS or not re.match(r"[а-яё]", b):
        return False
    if (lemma(a), lemma(b)) in COMPOUND_NOUNS or b[:5] in {w[:5] for w in ctx.brief_words}:
        return False
    if lemma(b) in ctx.region_words or b.isdigit():
        return False
    first_a, first_b = _parses(a)[0], _parses(b)[0]
    if first_a.tag.POS != "NOUN":
        return False
    if before and _parses(before.lower())[0].tag.POS == "NOUN":
        # «разработка лендинг пейдж»: the pair depends on a noun before it, one compound name
        # («лендинг пейдж»); cutting its second word would leave «разработка лендинг».
        return False
    if "-" in b and not morph().word_is_known(b):
        return True  # «т-банк», «х-фактор»
    if "Abbr" in first_b.tag or b in ABBREVIATIONS:
        return False  # «регистрация ооо», «декларация ндфл»: a form, not a name
    if not morph().word_is_known(b):
        return _unlike_product(b)  # «сбер», «аскона»
    # A dictionary noun is a name here only when it can be one («альфа»); «принтер картридж» is a
    # pile-up of two common nouns, not a brand.
    named = any(
        {"Name", "Surn", "Orgn", "Trad"} & set(str(p.tag).replace(" ", ",").split(","))
        for p in _parses(b)
    )
    return named and first_b.tag.POS == "NOUN" and first_b.tag.case == "nomn"


def _lower_first(text: str) -> str:
    """«Создание лендингов» → «создание лендингов» (inside a sentence); «ООО Ромашка» stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def compound(text: str) -> str:
    """A known compound noun written with a space gets its hyphen: «диван кровать» → «диван-кровать»
    (only the shipped list: «компьютер ремонт» is a pile-up, not a compound)."""
    words = text.split()
    for i in range(len(words) - 1):
        a, b = words[i].lower(), words[i + 1].lower()
        if (lemma(a), lemma(b)) in COMPOUND_NOUNS and _nominative_noun(a) and _nominative_noun(b):
            return " ".join([*words[:i], f"{words[i]}-{words[i + 1]}", *words[i + 2 :]])
    return text


@lru_cache(maxsize=20_000)
def _pos(word: str) -> frozenset[str]:
    return frozenset(str(p.tag.POS) for p in morph().parse(word) if p.score >= 0.1)


@lru_cache(maxsize=20_000)
def _nominative_noun(word: str) -> bool:
    ps = [p for p in morph().parse(word) if p.score >= 0.1]
    return (
        bool(ps)
        and morph().word_is_known(word)
        and all(p.tag.POS == "NOUN" and p.tag.case in ("nomn", "accs") for p in ps)
        and any(p.tag.case == "nomn" for p in ps)
    )


def reads_well(text: str, ctx: AdContext) -> bool:
    """No grammar problem (agreement, dangling words, noun pile-ups, repeats) and no foreign product."""
    return not problems(text) and not foreign_words(text, ctx)


def clean_phrase(phrase: str) -> str:
    """A keyword as readable text: operators and minus words removed."""
    words = [w for w in phrase.split() if not w.startswith("-")]
    return " ".join(re.sub(r"[\"\[\]!+]", "", w) for w in words).strip()


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _short_words(text: str, max_word: int = 22) -> str:
    return " ".join(w for w in text.split() if len(w.strip('.,!:;"')) <= max_word)


def _fits(text: str, limit: TextLimit) -> bool:
    return counted_length(text, limit.allowance) <= limit.max_chars


def _compose(parts: list[str], limit: TextLimit) -> str:
    """Join sentence parts while they fit; never cuts a part in the middle."""
    out = ""
    for part in parts:
        part = _short_words(part.strip())
        if not part:
            continue
        candidate = f"{out} {part}".strip()
        if _fits(candidate, limit):
            out = candidate
    return out or fit(_short_words(parts[0]), limit)


def ad_core(
    phrase: str, region_words: frozenset[str] = frozenset(), noise: frozenset[str] = AD_NOISE
) -> str:
    """The phrase without search modifiers and region words: the noun group an ad talks about."""
    words = [
        w
        for w in phrase.split()
        if lemma(w.lower()) not in noise and lemma(w.lower()) not in region_words
    ]
    while words and words[-1].lower() in PREPOSITIONS:
        words.pop()
    while words and words[0].lower() in PREPOSITIONS:
        words.pop(0)
    return " ".join(words) or phrase


def title_case_regions(text: str, region_words: frozenset[str]) -> str:
    """ "диван москва" → "диван Москва": region names are proper nouns."""
    return " ".join(capitalise(w) if lemma(w.lower()) in region_words else w for w in text.split())


def display_link(phrase: str, fallback: str = "") -> str:
    """A display link from the group's core words: letters/digits joined by '-', ≤ 20 characters, never
    ending on a preposition («Диван-кровать», not «Диван-кровать-для»)."""
    words = [re.sub(r"[^0-9A-Za-zА-Яа-яЁё]", "", w) for w in phrase.split()]
    kept: list[str] = []
    for w in (w for w in words if w):
        if len("-".join([*kept, w])) > 20:
            break
        kept.append(w)
    while kept and kept[-1].lower() in PREPOSITIONS:
        kept.pop()
    out = "-".join(kept)
    if not out and fallback:
        return display_link(fallback)
    return capitalise(out[:20])


def headlines(phrase: str, ctx: AdContext) -> list[str]:
    """Title candidates from the group's phrase, longest first, with every word of the phrase kept:
    a lead verb goes first, price/catalogue nouns after a dash, a region word becomes «в Москве»."""
    words = phrase.split()
    lems = [lemma(w.lower()) for w in words]
    drop_region = bool(ctx.where) and any(lem in ctx.region_words for lem in lems)
    lead: list[str] = []
    body: list[str] = []
    tail: list[str] = []
    for i, (w, lem) in enumerate(zip(words, lems, strict=True)):
        if drop_region and (
            lem in ctx.region_words
            or (
                w.lower() in PREPOSITIONS and i + 1 < len(words) and lems[i + 1] in ctx.region_words
            )
        ):
            continue  # «диван москва», «диван в москве» → «Диван в Москве» below
        (lead if lem in LEAD_VERBS else tail if lem in TAIL_NOUNS | TAIL_ADVERBS else body).append(
            w
        )
    if tail and body and (body[0].lower() in PREPOSITIONS or body[-1].lower() in PREPOSITIONS):
        # «фото на холсте»: the «tail» noun is the head here; moving it would leave «На холсте — фото».
        body, tail = [w for w in words if w in body or w in tail], []
    while body and body[-1].lower() in PREPOSITIONS:
        body.pop()
    if not body:
        return []
    where = f" {ctx.where}" if ctx.where else ""
    noun_group = " ".join(body)
    if _after_tail_noun(phrase, body[0]):  # «стоимость разработки» → «Разработка — стоимость»
        noun_group = nominative(noun_group, "gent")
    if lead:  # the object of «купить/заказать» is accusative: «Купить подготовку к ОГЭ», «Купить репетитора»
        noun_group = inflect_phrase(noun_group, "accs")
    head = capitalise(" ".join([*lead, noun_group]))
    dash = f" — {', '.join(tail)}" if tail else ""
    out = [f"{head}{where}{dash}", f"{head}{dash}"]
    return [t for t in out if t]


def _distinct(texts: list[str], taken: list[str]) -> list[str]:
    """Drop repeats (case-insensitive): Direct shows one combination per headline, a repeat is wasted."""
    seen = {t.lower() for t in taken}
    return [t for t in texts if not (t.lower() in seen or seen.add(t.lower()))]  # type: ignore[func-returns-value]


def _subject(raw: str, ctx: AdContext) -> tuple[str, str, str] | None:
    """(phrase, core, noun group) an ad can say of a keyword phrase, or None when the phrase cannot
    be said in Russian as the product (a pile-up, an adjective without its noun, a brand from the
    list, an action without its object)."""
    phrase = title_case_regions(_without_other_places(clean_phrase(raw), ctx), ctx.region_words)
    # Brands and Latin names of the list that the brief does not use are not said as the product:
    # «ремонт холодильника samsung» → «ремонт холодильника»; «купить именариум» → the brief's product.
    # Only a trailing brand after a complete noun group is cut («ремонт холодильника samsung»,
    # «кредитная карта альфа»); a Latin word inside the phrase is its product or object («landing
    # page цена», «разработка landing», «подготовка к ielts»): then the phrase is not used at all.
    own = phrase.split()
    while own and (
        (LATIN_RE.search(own[-1]) and foreign_words(own[-1], ctx))
        or (len(own) > 1 and _apposition(own[-2], own[-1], ctx, own[-3] if len(own) > 2 else ""))
        or (len(own) > 1 and own[-1].isdigit())  # «кондиционер 9»: a size or model without its unit
    ):
        own.pop()
    meaningful = [
        w
        for w in own
        if lemma(w.lower()) not in LEAD_VERBS | TAIL_NOUNS | AD_NOISE
        and w.lower() not in PREPOSITIONS
    ]
    cut = len(own) < len(phrase.split())
    # After a cut, what is left must still name a product: two words, or a noun that is not an
    # action («кондиционер дайкин» → «кондиционер»; «установка windows» → not «установка»).
    named = len(meaningful) >= 2 or (
        len(meaningful) == 1
        and _parses(meaningful[0].lower())[0].tag.POS == "NOUN"  # not «дорогой» as «дорога»
        and not _action_noun(meaningful[0])
    )
    if not own or (cut and not named):
        return None
    phrase = " ".join(own)
    core = _short_words(ad_core(phrase, ctx.region_words))
    if not core:
        return None
    words = core.split()
    while (
        len(words) > 1 and lemma(words[-1].lower()) in TAIL_NOUNS and words[-2] not in PREPOSITIONS
    ):
        words.pop()  # «угловой диван каталог» → «угловой диван»: the title puts «— каталог» after a dash
    core = " ".join(words)
    if all(_action_noun(w) or w.lower() in CONJUNCTIONS for w in words):
        return None  # «создание», «разработка и продвижение»: an action without its object
    noun_group = nominative(core, "gent" if _after_tail_noun(phrase, words[0]) else None)
    joined = compound(noun_group)
    if joined != noun_group and reads_well(capitalise(joined), ctx):
        phrase, noun_group = compound(phrase), joined  # «диван кровать» → «диван-кровать»
    if not reads_well(capitalise(noun_group), ctx):
        return None
    return phrase, core, noun_group


def template_ads(
    group_phrase: str, ctx: AdContext, count: int = 2, others: Sequence[str] = ()
) -> list[AdDraft]:
    """`count` distinct ads for a group whose main phrase is `group_phrase`. When that phrase cannot
    be said as the product, the group's `others` phrases are tried (most frequent first) before
    the brief's product: groups then do not share one fallback ad."""
    found = next((sub for raw in (group_phrase, *others[:20]) if (sub := _subject(raw, ctx))), None)
    if found is None:
        # The brief's product as the user wrote it: no word of it is a search modifier here
        # («создание сайтов» stays, never «создание»).
        phrase = title_case_regions(_lower_first(clean_phrase(ctx.product)), ctx.region_words)
        core = _short_words(ad_core(phrase, ctx.region_words, frozenset()))
        core = core or _short_words(ctx.product)
        core = core or "товары"
        noun_group = nominative(core)
    else:
        phrase, core, noun_group = found
    has_region = bool({lemma(w) for w in tokens(phrase)} & ctx.region_words)
    where = "" if has_region or not ctx.where else f" {ctx.where}"
    title_lim, t2_lim, text_lim = LIMITS["title"], LIMITS["title2"], LIMITS["text"]
    ads: list[AdDraft] = []
    for n in range(count):
        adj = agree(ADJECTIVES[n % len(ADJECTIVES)], noun_group)
        titles = [
            *headlines(phrase, ctx),
            capitalise(phrase) + where,
            capitalise(phrase),
            capitalise(f"{adj} {noun_group}"),
        ]
        titles = [capitalise(_short_words(t)) for t in titles]
        title = next(
            (t for t in titles if t and _fits(t, title_lim) and reads_well(t, ctx)),
            fit(capitalise(core), title_lim),
        )
        t2_options = (
            (
                [
                    f"Цены {ctx.price}"
                    if not ctx.price.lower().startswith(("цен", "от"))
                    else capitalise(ctx.price)
                ]
                if ctx.price
                else []
            )
            + list(ctx.advantages)
            + list(TITLE2_FALLBACK)
        )
        t2_options = t2_options[n % max(1, len(t2_options)) :] + t2_options
        title2 = next(
            (
                capitalise(t)
                for t in t2_options
                if _fits(t, t2_lim) and capitalise(t).lower() != fix_abbreviations(title).lower()
            ),
            "",
        )
        benefits = [capitalise(a.rstrip(".!")) + "." for a in ctx.advantages]
        benefits = benefits[n % max(1, len(benefits)) :] + benefits[: n % max(1, len(benefits))]
        acc = inflect_phrase(noun_group, "accs")
        # No epithet in the lead: «Надёжные тюльпаны», «Надёжная стерилизация кошки» read wrong.
        price = f" {ctx.price}" if ctx.price and n % 2 == 1 else ""
        lead = capitalise(f"{noun_group}{where}{price}.")
        order = f"{order_verb(noun_group)} {acc}{' ' + ctx.price if ctx.price else ''}!"
        offer = order if n % 2 == 0 and reads_well(order, ctx) else CTAS[n % len(CTAS)]
        text = _compose([lead, *benefits[:2], offer], text_lim)
        extra_titles: list[str] = []
        for cand in (
            f"{capitalise(adj)} {noun_group}",
            f"{capitalise(noun_group)}{where}",
            f"{capitalise(noun_group)} — {ctx.price}" if ctx.price else "",
            *[capitalise(a) for a in ctx.advantages],
        ):
            cand = capitalise(_short_words(cand))
            if (
                cand
                and _fits(cand, LIMITS["extra_titles"])
                and cand not in (title, title2, *extra_titles)
            ):
                extra_titles.append(cand)
        extra_texts: list[str] = []
        alt = _compose(
            [
                capitalise(f"{noun_group}{where}."),
                *reversed(benefits[:2]),
                CTAS[(n + 1) % len(CTAS)],
            ],
            LIMITS["extra_texts"],
        )
        if alt and alt != text:
            extra_texts.append(alt)
        ads.append(
            AdDraft(
                title=fix_abbreviations(title),
                title2=title2,
                text=fix_abbreviations(text),
                extra_titles=_distinct(
                    [fix_abbreviations(t) for t in extra_titles], [title, title2]
                )[:5],
                extra_texts=[fix_abbreviations(t) for t in extra_texts[:2]],
                display_link=fix_abbreviations(display_link(noun_group, ctx.product)),
                sitelinks=[dict(s) for s in ctx.sitelinks[:8]],
                callouts=list(ctx.callouts[:50]),
            )
        )
    return ads
