"""A small Russian grammar check for ad texts (pymorphy3): what makes a template ad read as not Russian.

Codes: `agreement` (an adjective that does not agree with its noun: «Средняя лендинга»), `dangling` (an
adjective or preposition with no noun after it: «Закажите недорогой!»), `pileup` (two nouns in the
nominative in a row: «лендинг юрист»), `duplicate` (the same word twice: «Качественный качественный»).
Each check looks only at words the dictionary knows; Latin words and numbers are names and pass.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from tgassist.ai.text import lemma, morph
from tgassist.campaigns.morph import known_word, without_guessed_names

_WORD = re.compile(r"[А-Яа-яЁё]+(?:-[А-Яа-яЁё]+)*|[A-Za-z0-9]+")
_ADJ = {"ADJF", "PRTF"}
_PREPS = frozenset("в во на с со к ко по о об от до из у за для без при под над про через".split())
_SKIP = frozenset({"и", "или", "а", "но", "не"})


@lru_cache(maxsize=50_000)
def _parses(word: str) -> tuple[Any, ...]:
    """Readings of a word that are not rare, guessed proper names dropped («лендинга» is a form of
    «лендинг», not a woman's name)."""
    return without_guessed_names(word, [p for p in morph().parse(word) if p.score >= 0.01])


def _pos(word: str) -> set[str]:
    return {str(p.tag.POS) for p in _parses(word)}


def _agree(adj: str, noun: str) -> bool:
    """Some reading of the adjective matches some reading of the noun in case, number and gender."""
    for a in _parses(adj):
        if a.tag.POS not in _ADJ:
            continue
        for n in _parses(noun):
            if n.tag.POS != "NOUN" or a.tag.case != n.tag.case or a.tag.number != n.tag.number:
                continue
            if a.tag.number == "plur" or n.tag.gender is None or a.tag.gender == n.tag.gender:
                return True
            if "GNdr" in n.tag or "Ms-f" in n.tag:  # common gender: «сирота», «коллега»
                return True
    return False


def _only_nominative_noun(word: str) -> bool:
    """Every reading is a noun in the nominative or accusative: it cannot depend on a noun before it."""
    ps = _parses(word)
    return bool(ps) and all(p.tag.POS == "NOUN" and p.tag.case in ("nomn", "accs") for p in ps)


@lru_cache(maxsize=50_000)
def problems(text: str) -> list[str]:
    """Grammar problem codes of one ad text (empty when it reads as Russian)."""
    out: list[str] = []
    sentences = [s for s in re.split(r"[.!?—:,]+", text) if s.strip()]
    seen: set[str] = set()
    for sentence in sentences:
        words = [w.lower() for w in _WORD.findall(sentence)]
        cyr = [w for w in words if re.match(r"[а-яё]", w)]
        in_chain = False
        for i, w in enumerate(cyr):
            pos = _pos(w)
            if pos and pos <= _ADJ:
                j = i + 1
                while j < len(cyr) and _pos(cyr[j]) and _pos(cyr[j]) <= _ADJ:
                    j += 1
                noun = cyr[j] if j < len(cyr) else None
                if noun is not None and "NOUN" in _pos(noun):
                    if not _agree(w, noun):
                        out.append("agreement")
                elif not in_chain and _dangles(cyr, i, j):
                    out.append("dangling")
                in_chain = True
            else:
                in_chain = False
            if w in _PREPS and i == len(cyr) - 1 and len(words) == len(cyr):
                out.append("dangling")
        for a, b in zip(words, words[1:], strict=False):
            # «лендинг юрист», «лендинга ремонт»: a noun that can only be a subject or an object
            # right after another noun (a transliteration such as «лендинг пейдж» is let through).
            if (
                re.match(r"[а-яё]", a)
                and re.match(r"[а-яё]", b)
                and "NOUN" in _pos(a)
                and not _pos(a) & _ADJ
                and _only_nominative_noun(b)
                and known_word(b)
            ):
                out.append("pileup")
        for w in cyr:
            if w in _PREPS or w in _SKIP or len(w) < 4:
                continue
            lem = lemma(w)
            if lem in seen and sentence is sentences[0]:
                out.append("duplicate")
            seen.add(lem)
        seen = set() if sentence is not sentences[0] else seen
    return sorted(set(out))


def _dangles(words: list[str], i: int, j: int) -> bool:
    """Adjectives words[i:j] with no noun after them read as broken when two of them stand alone
    («Надёжный недорогой»), when a verb wants them as its object («Закажите недорогой!») or when they
    end the sentence without a noun before them. One adjective standing for its noun, as searchers
    write («Английский для взрослых», «курсы английского»), reads fine."""
    after_noun = i > 0 and "NOUN" in _pos(words[i - 1])
    after_verb = i > 0 and bool({"VERB", "INFN"} & _pos(words[i - 1]))
    last = _parses(words[j - 1])
    # «разговорный английский»: a relative adjective stands for its noun; a quality one cannot.
    substantive = not any("Qual" in p.tag for p in last if p.tag.POS in _ADJ)
    nominative = any(p.tag.case == "nomn" for p in last if p.tag.POS in _ADJ)
    chain = j - i >= 2 and not (j - i == 2 and substantive and _agree_adj(words[i], words[j - 1]))
    at_end = j == len(words) and not after_noun and i > 0 and nominative
    return chain or after_verb or at_end


def _agree_adj(a: str, b: str) -> bool:
    return any(
        x.tag.case == y.tag.case and x.tag.number == y.tag.number
        for x in _parses(a)
        if x.tag.POS in _ADJ
        for y in _parses(b)
        if y.tag.POS in _ADJ
    )


def ad_problems(title: str, title2: str, text: str) -> list[str]:
    """Problem codes of an ad's title, second title and text, as «field:code»."""
    return [
        f"{field}:{code}"
        for field, value in (("title", title), ("title2", title2), ("text", text))
        for code in problems(value)
    ]
