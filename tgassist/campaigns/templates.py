"""Offline ad texts: morphology-aware templates (pymorphy3 agreement, capitalisation, limits fitted)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import replace
from functools import lru_cache

from tgassist.ai.text import LATIN_RE, lemma, morph, tokens
from tgassist.campaigns.adtext import (
    ABBREVIATIONS,
    AD_NOISE,
    LEAD_VERBS,
    PREPOSITIONS,
    TAIL_ADVERBS,
    TAIL_NOUNS,
    AdContext,
    fix_abbreviations,
    foreign_words,
    unlike_product,
    word_parses,
)
from tgassist.campaigns.grammar import problems
from tgassist.campaigns.lexicon import ACTION_OF, COMPOUND_NOUNS, ORDER_VERB_OF
from tgassist.campaigns.limits import LIMITS, AdDraft, TextLimit, counted_length, fit
from tgassist.campaigns.morph import agree, inflect_phrase, known_word, nominative, noun_readings
from tgassist.campaigns.wording import declined_words, genitive_pair, respell

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

CONJUNCTIONS = frozenset({"и", "или"})
# Words a title drops: questions, and «рядом» beside the campaign's place («Бокс рядом в Москве»).
QUESTION_WORDS = frozenset(lemma(w) for w in ("где", "куда", "какой", "как", "сколько", "рядом"))
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
    for i, w in enumerate(words):
        low = w.lower()
        tag = word_parses(low)[0].tag
        pair = {(lemma(low), lemma(n.lower())) for n in words[i + 1 : i + 2]}
        if (
            "Geox" in tag
            and known_word(low)  # a guess is no town: «замиокулькас»
            and not pair & COMPOUND_NOUNS  # «сплит система», not the town of Split
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
    first_a, first_b = word_parses(a)[0], word_parses(b)[0]
    if first_a.tag.POS != "NOUN":
        return False
    if before and word_parses(before.lower())[0].tag.POS == "NOUN":
        # «разработка лендинг пейдж»: the pair depends on a noun before it, one compound name
        # («лендинг пейдж»); cutting its second word would leave «разработка лендинг».
        return False
    if "-" in b and not known_word(b):
        return True  # «т-банк», «х-фактор»
    if "Abbr" in first_b.tag or b in ABBREVIATIONS:
        return False  # «регистрация ооо», «декларация ндфл»: a form, not a name
    if not known_word(b):
        return unlike_product(b)  # «сбер», «аскона»
    # A dictionary noun is a name here only when it can be one («альфа»); «принтер картридж» is a
    # pile-up of two common nouns, not a brand.
    named = any(
        {"Name", "Surn", "Orgn", "Trad"} & set(str(p.tag).replace(" ", ",").split(","))
        for p in word_parses(b)
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
        # The first part may be one that never declines: «сплит системы» → «сплит-системы».
        if (lemma(a), lemma(b)) in COMPOUND_NOUNS and _nominative_noun(a) and "NOUN" in _pos(b):
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
        and known_word(word)
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
        if lem in QUESTION_WORDS:
            continue  # «где купить кондиционер» → «Купить кондиционер», never «Купить где кондиционер»
        if lem == "стоить" and "сколько" in lems:
            tail.append("цена")  # «сколько стоит ремонт» → «Ремонт — цена»
            continue
        (lead if lem in LEAD_VERBS else tail if lem in TAIL_NOUNS | TAIL_ADVERBS else body).append(
            w
        )
    if tail and body and (body[0].lower() in PREPOSITIONS or body[-1].lower() in PREPOSITIONS):
        # «фото на холсте»: the «tail» noun is the head here; moving it would leave «На холсте — фото».
        body, tail = [w for w in words if w in body or w in tail], []
    if tail and body and not any("NOUN" in _pos(w.lower()) for w in body):
        body, tail = (
            [w for w in words if w in body or w in tail],
            [],
        )  # «фото 3х4»: «фото» is the head
    while body and body[-1].lower() in PREPOSITIONS:
        body.pop()
    if not body:
        return []
    where = f" {ctx.where}" if ctx.where else ""
    noun_group = " ".join(body)
    if _after_tail_noun(phrase, body[0]):  # «стоимость разработки» → «Разработка — стоимость»
        noun_group = nominative(noun_group, "gent")
    # The object of «купить/заказать» is accusative: «Купить подготовку к ОГЭ», «Купить репетитора»;
    # a searcher who typed the verb first has declined it already («вызвать мастера», not «мастеров»).
    typed = lead and words.index(lead[0]) < words.index(body[0]) and _accusative(body[0])
    if lead and not typed:
        noun_group = inflect_phrase(noun_group, "accs")
    head = capitalise(" ".join([*lead, noun_group]))
    dash = f" — {', '.join(tail)}" if tail else ""
    out = [f"{head}{where}{dash}", f"{head}{dash}"]
    return [t for t in out if t]


def _accusative(word: str) -> bool:
    return any(p.tag.POS == "NOUN" and p.tag.case == "accs" for p in word_parses(word.lower()))


def _distinct(texts: list[str], taken: list[str]) -> list[str]:
    """Drop repeats (case-insensitive): Direct shows one combination per headline, a repeat is wasted."""
    seen = {t.lower() for t in taken}
    return [t for t in texts if not (t.lower() in seen or seen.add(t.lower()))]  # type: ignore[func-returns-value]


def _subject(raw: str, ctx: AdContext) -> tuple[str, str, str] | None:
    """(phrase, core, noun group) an ad can say of a keyword phrase, or None when the phrase cannot
    be said in Russian as the product (a pile-up, an adjective without its noun, a brand from the
    list, an action without its object)."""
    # «рядом с домом», «рядом с метро»: where the searcher is; the ad says the campaign's place.
    nearby = re.sub(r"(?i)\bрядом(\s+со?\s+\S+)?", "", clean_phrase(raw))
    phrase = " ".join(nearby.split()) or clean_phrase(raw)
    phrase = title_case_regions(_without_other_places(phrase, ctx), ctx.region_words)
    # Brands and Latin names of the list that the brief does not use are not said as the product:
    # «ремонт холодильника samsung» → «ремонт холодильника»; «купить именариум» → the brief's product.
    # Only a trailing brand after a complete noun group is cut («ремонт холодильника samsung»,
    # «кредитная карта альфа»); a Latin word inside the phrase is its product or object («landing
    # page цена», «разработка landing», «подготовка к ielts»): then the phrase is not used at all.
    own = _without_slang(phrase.split(), ctx)
    while own and (
        (LATIN_RE.search(own[-1]) and foreign_words(own[-1], ctx))
        or (len(own) > 1 and _apposition(own[-2], own[-1], ctx, own[-3] if len(own) > 2 else ""))
        or (len(own) > 1 and own[-1].isdigit())  # «кондиционер 9»: a size or model without its unit
        or (len(own) > 1 and len(own) < len(phrase.split()) and _dangling_end(own[-1]))
    ):
        own.pop()  # after a cut: «имплантация все на 4» → «имплантация все на» → «имплантация»
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
        and word_parses(meaningful[0].lower())[0].tag.POS == "NOUN"  # not «дорогой» as «дорога»
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
    # Two nouns in the nominative are never Russian, even when the check cannot see it (a word only
    # the list knows: «разработка лендинг»): «матрица ноутбук» → «матрица ноутбука».
    pair = _genitive_pile(noun_group, ctx)
    if pair is not None:
        phrase = phrase.replace(noun_group, pair) if noun_group in phrase else pair
        core = noun_group = pair  # the phrase's other words (a verb, «цена») stay
    elif not reads_well(capitalise(noun_group), ctx):
        return None
    if not any(_pos(w.lower()) & {"NOUN", "ADJF"} for w in noun_group.split()):
        return None  # «купить» left of «замиокулькас купить»: no product named
    return phrase, core, noun_group


def _without_slang(words: list[str], ctx: AdContext) -> list[str]:
    """The words without what an ad does not say: a word the dictionary and the brief do not know
    right after a noun — slang or a name («лендинг пейдж под ключ» → «лендинг под ключ»; «разработка
    лендинг пейдж» → «разработка лендинг», which the pile-up check then declines) — and an adjective
    of a price noun («средняя цена лендинга» → «цена лендинга»: not «средний лендинг»)."""
    out: list[str] = []
    for i, w in enumerate(words):
        low = w.lower()
        nxt = words[i + 1].lower() if i + 1 < len(words) else ""
        if (
            out
            and re.match(r"[а-яё]", low)
            and not known_word(low)
            and "NOUN" in _pos(out[-1].lower())
            and not (nxt and "NOUN" in _pos(nxt))  # «лендинг пейдж двери» would leave a pile-up
            and foreign_words(low, ctx)
        ):
            continue
        if nxt and lemma(nxt) in TAIL_NOUNS and _pos(low) <= {"ADJF"} and _pos(low):
            continue
        out.append(w)
    return out or words


def _dangling_end(word: str) -> bool:
    """A word that cannot end a noun group: a preposition, a conjunction, «все», «этот»."""
    low = word.lower()
    first = word_parses(low)[0].tag
    return (
        low in PREPOSITIONS
        or low in CONJUNCTIONS
        or "Apro" in first
        or first.POS in ("PRCL", "CONJ", "NPRO", "PREP")
    )


def _genitive_pile(noun_group: str, ctx: AdContext) -> str | None:
    """Two nominative nouns that do not read as Russian, said with the dependent one in the genitive
    when the list tells which one depends (wording.genitive_pair)."""
    words = noun_group.split()
    if len(words) < 2 or not all(_known_nominative(w.lower(), ctx) for w in words[:2]):
        return None
    a, b = words[:2]
    action = (
        "first"
        if _action_noun(a) and not _action_noun(b)
        else "second"
        if _action_noun(b) and not _action_noun(a)
        else None
    )
    if any(_genitive(w.lower()) for w in (a, b)):
        return None  # «стерилизация кошки»: the second noun is a genitive already
    if len(words) > 2 and "NOUN" in _pos(words[2].lower()):
        return None  # «создание лендинг страницы»: a third noun, no safe reading
    if action is None and not all(known_word(w.lower()) for w in (a, b)):
        return None  # «лендинг страница»: a word only the list knows is no safe head
    pair = genitive_pair(a, b, ctx.heads, ctx.dependents, action)
    if pair is None:
        return None
    said = " ".join([pair, *words[2:]])
    return said if reads_well(capitalise(said), ctx) else None


def _genitive(word: str) -> bool:
    return any(p.tag.case == "gent" and p.score >= 0.05 for p in noun_readings(word))


def _known_nominative(word: str, ctx: AdContext) -> bool:
    """A noun in the nominative: a dictionary one, or one of the brief's or the list's («лендинг»)."""
    family = word in ctx.brief_words or any(
        o.startswith(word) and len(o) - len(word) <= 3 for o in ctx.brief_words
    )  # «лендинг» of the brief's «лендингов»
    if family and not known_word(word):
        # «лендинг», not «лендинга»: a longer form of a word the list also has is declined already.
        inflected = any(
            o != word and word.startswith(o) and len(word) - len(o) <= 3 for o in ctx.brief_words
        )
        return not inflected and any(
            p.tag.POS == "NOUN" and p.tag.case == "nomn" for p in word_parses(word)
        )
    return _nominative_noun(word)


def template_ads(
    group_phrase: str,
    ctx: AdContext,
    count: int = 2,
    others: Sequence[str] = (),
    taken: Collection[tuple[str, str]] = (),
) -> list[AdDraft]:
    """`count` distinct ads for a group whose main phrase is `group_phrase`. When that phrase cannot
    be said as the product, the group's `others` phrases are tried (most frequent first) before
    the brief's product. `taken`: (title, text) pairs, lower-cased, that other groups of the campaign
    already have: a phrase of the group that gives other ads is preferred, so two groups do not
    show one ad."""
    phrases = [group_phrase, *others[:20]]
    # The group's own declined words are its product («виниры», «винир»), not brands; a typo
    # («кондицонер») is spelt as the group's other phrases spell it.
    local = replace(ctx, brief_words=ctx.brief_words | declined_words(phrases, 3))
    subjects: list[tuple[str, str, str] | None] = []
    for raw in phrases:
        sub = _subject(respell(clean_phrase(raw), phrases, local.brief_words), local)
        if sub and all(sub[2].lower() != s[2].lower() for s in subjects if s):
            subjects.append(sub)
    subjects.append(None)  # the brief's product
    first: list[AdDraft] | None = None
    for sub in subjects:
        ads = _render(sub, local, count)
        if not any((a.title.lower(), a.text.lower()) in taken for a in ads):
            return ads
        first = first or ads
    # Every wording of this group is another group's ad: the group's own search words make it its own.
    return _render(subjects[0], local, count, _own_tail(phrases, first or [])) if first else []


def _own_tail(phrases: Sequence[str], ads: Sequence[AdDraft]) -> str:
    """A price or search word of the group («цена», «недорого», «под ключ») that its ad does not say."""
    said = {lemma(w) for a in ads for w in tokens(a.title)}
    counts = Counter(
        lem
        for p in phrases
        for w in tokens(p)
        if (lem := lemma(w)) in TAIL_NOUNS | TAIL_ADVERBS and lem not in said
    )
    return counts.most_common(1)[0][0] if counts else ""


def _render(
    found: tuple[str, str, str] | None, ctx: AdContext, count: int, tail: str = ""
) -> list[AdDraft]:
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
    if tail:
        phrase = f"{phrase} {tail}"
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
