"""Russian morphology for ad templates (pymorphy3): inflect a noun phrase, agree an adjective with it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from tgassist.ai.text import morph

_ADJ = {"ADJF", "PRTF"}


@lru_cache(maxsize=100_000)
def known_word(word: str) -> bool:
    """Whether the dictionary has the word (not a guess from its ending); cached."""
    return bool(morph().word_is_known(word))


def without_guessed_names(word: str, readings: list[Any]) -> tuple[Any, ...]:
    """`readings` of `word`; for a word the dictionary does not know, guessed proper names are
    dropped (unless nothing else is left): «лендинга» is a form of «лендинг», not a name."""
    if not known_word(word):
        common = [
            p
            for p in readings
            if not ({"Name", "Surn", "Patr"} & set(str(p.tag).replace(" ", ",").split(",")))
        ]
        return tuple(common or readings)
    return tuple(readings)


@lru_cache(maxsize=20_000)
def _parses(word: str) -> tuple[Any, ...]:
    """Readings of a word, guessed proper names dropped («лендинг» is a noun, not the genitive
    plural of a name «лендинга»)."""
    return without_guessed_names(word, morph().parse(word))


def noun_readings(word: str) -> tuple[Any, ...]:
    """A word's noun readings (guessed names dropped for a word the dictionary does not know)."""
    return tuple(p for p in _parses(word) if p.tag.POS == "NOUN")


def _head(words: list[str]) -> int | None:
    """Index of the head noun: the first noun (adjectives, participles and a number may precede it)."""
    for i, w in enumerate(words):
        if w.isdigit() and i < len(words) - 1:
            continue  # «101 роза»
        pos = {p.tag.POS for p in _parses(w.lower())}
        if pos & _ADJ and i < len(words) - 1:
            continue  # an adjective in front of its noun ("угловой диван")
        if "NOUN" in pos:
            return i
        return None
    return None


def _best(word: str, pos: set[str], cases: tuple[str, ...] = ("nomn", "accs")) -> Any | None:
    ps = [p for p in _parses(word.lower()) if p.tag.POS in pos]
    for case in cases:
        for p in ps:
            if p.tag.case == case:
                return p
    return ps[0] if ps else None


def _head_reading(words: list[str], h: int, cases: tuple[str, ...]) -> Any | None:
    """The head noun's reading in the first of `cases` it has, agreeing in number with an adjective
    before it when there is one («вертикальные жалюзи» is plural, not the neuter singular)."""
    nouns = [p for p in _parses(words[h].lower()) if p.tag.POS == "NOUN"]
    adjs = [p for w in words[:h] for p in _parses(w.lower()) if p.tag.POS in _ADJ]
    for case in cases:
        here = [p for p in nouns if p.tag.case == case]
        if adjs:
            agreeing = [
                p
                for p in here
                if any(a.tag.case == case and a.tag.number == p.tag.number for a in adjs)
            ]
            here = agreeing or here
        if here:
            return here[0]
    return nouns[0] if nouns else None


def _keep_case(src: str, out: str) -> str:
    return out.capitalize() if src[:1].isupper() else out


@lru_cache(maxsize=20_000)
def inflect_phrase(phrase: str, case: str, source: str | None = None) -> str:
    """Put the leading noun group of `phrase` into `case` (number kept); dependents stay as they are.
    `source`: the case the group is in, when known («стоимость разработки» — the genitive
    «разработки» is one development, not the nominative plural)."""
    words = phrase.split()
    h = _head(words)
    if h is None:
        return phrase
    cases = (source, "nomn", "accs") if source else ("nomn", "accs")
    if source and not any(
        p.tag.POS == "NOUN" and p.tag.case == source for p in _parses(words[h].lower())
    ):
        return phrase  # «цена лендинг пейдж»: the word after «цена» is not in the genitive here
    head = _head_reading(words, h, cases)
    if head is None:
        return phrase
    number = head.tag.number or "sing"
    if h and words[h - 1].isdigit() and not (case == "accs" and number == "sing"):
        return phrase  # «25 роз» stays; «101 роза» → «101 розу»
    same = [
        p
        for p in _parses(words[h].lower())
        if p.tag.POS == "NOUN"
        and p.normal_form == head.normal_form
        and p.tag.case == case
        and (p.tag.number or "sing") == number
        and (p.score >= 0.1 or not known_word(words[h].lower()))
    ]  # a word the dictionary does not know is kept as written («пилатес», not «пилатэс»)
    if not same and "Fixd" in head.tag:
        same = [head]  # «жалюзи», «пейдж»: indeclinable
    new_head = same[0] if same else head.inflect({case, number})  # «цветы» stays, never «цветки»
    if new_head is None:
        return phrase
    out = list(words)
    out[h] = words[h] if same else _keep_case(words[h], new_head.word)
    for i in range(h):
        adj = _best(words[i], _ADJ, cases)
        if adj is None:
            continue
        grams = {case, number} if number == "plur" else {case, number, head.tag.gender or "masc"}
        if case == "accs" and (number == "plur" or head.tag.gender == "masc"):
            grams.add("anim" if "anim" in head.tag else "inan")
        new = adj.inflect(grams)
        if new is not None:
            out[i] = _keep_case(words[i], new.word)
    return " ".join(out)


def nominative(phrase: str, source: str | None = None) -> str:
    return inflect_phrase(phrase, "nomn", source)


@lru_cache(maxsize=20_000)
def agree(adjective: str, phrase: str, case: str = "nomn") -> str:
    """The adjective in the form that agrees with the head noun of `phrase` (gender, number, case)."""
    words = phrase.split()
    h = _head(words)
    adj = _best(adjective, _ADJ, ("nomn",))
    if h is None or adj is None:
        return adjective
    head = _best(words[h], {"NOUN"})
    if head is None:
        return adjective
    number = head.tag.number or "sing"
    grams = {case, number} if number == "plur" else {case, number, head.tag.gender or "masc"}
    new = adj.inflect(grams)
    return new.word if new is not None else adjective
