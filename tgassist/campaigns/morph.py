"""Russian morphology for ad templates (pymorphy3): inflect a noun phrase, agree an adjective with it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from tgassist.ai.text import morph

_ADJ = {"ADJF", "PRTF"}


@lru_cache(maxsize=20_000)
def _parses(word: str) -> tuple[Any, ...]:
    return tuple(morph().parse(word))


def _head(words: list[str]) -> int | None:
    """Index of the head noun: the first noun (adjectives and participles may precede it)."""
    for i, w in enumerate(words):
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
    head = _best(words[h], {"NOUN"}, (source, "nomn", "accs") if source else ("nomn", "accs"))
    if head is None:
        return phrase
    number = head.tag.number or "sing"
    same = [
        p
        for p in _parses(words[h].lower())
        if p.tag.POS == "NOUN"
        and p.normal_form == head.normal_form
        and p.tag.case == case
        and (p.tag.number or "sing") == number
        and p.score >= 0.1
    ]
    new_head = same[0] if same else head.inflect({case, number})  # «цветы» stays, never «цветки»
    if new_head is None:
        return phrase
    out = list(words)
    out[h] = words[h] if same else _keep_case(words[h], new_head.word)
    for i in range(h):
        adj = _best(words[i], _ADJ, (source, "nomn", "accs") if source else ("nomn", "accs"))
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
