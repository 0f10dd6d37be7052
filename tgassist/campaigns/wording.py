"""What a keyword list says about its own words, for ad templates: which words are its product (declined,
frequent), how a word is spelt when a phrase has it with a typo, and which noun of a pile-up depends
on the other («матрица ноутбук» → «матрица ноутбука»)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from tgassist.ai.text import lemma, morph, tokens
from tgassist.campaigns.morph import known_word

_CYRILLIC = re.compile(r"^[а-яё]+(?:-[а-яё]+)*$")


@lru_cache(maxsize=50_000)
def _parses(word: str) -> tuple[Any, ...]:
    return tuple(p for p in morph().parse(word) if p.score >= 0.05)


def declined_words(phrases: Sequence[str], floor: int) -> frozenset[str]:
    """Cyrillic words the list declines (two forms or more) and uses at least `floor` times: common
    nouns of the product («лендинг», «лендинга»), not brands, which searchers do not decline («отп»)."""
    counts = Counter(w for p in phrases for w in set(tokens(p)) if _CYRILLIC.match(w))
    forms: dict[str, set[str]] = {}
    for w in counts:
        forms.setdefault(lemma(w), set()).add(w)
    return frozenset(
        w
        for ws in forms.values()
        if len(ws) >= 2 and sum(counts[w] for w in ws) >= floor
        for w in ws
    )


def _only(word: str, case: str) -> bool:
    """Every reading is a noun in `case` (the nominative also reads as the inanimate accusative)."""
    ps = [p for p in _parses(word) if p.tag.POS == "NOUN"]
    cases = {"nomn", "accs"} if case == "nomn" else {case}
    return (
        bool(ps)
        and len(ps) == len(_parses(word))
        and all(p.tag.case in cases for p in ps)
        and any(p.tag.case == case for p in ps)
    )


def noun_roles(phrases: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(heads, dependents): lemmas the list uses as a phrase's first noun in the nominative
    («картридж hp»), and lemmas it uses only in the genitive after a noun («ремонт ноутбуков»)."""
    heads: set[str] = set()
    deps: set[str] = set()
    for p in phrases:
        words = [w for w in tokens(p) if _CYRILLIC.match(w)]
        first = True
        for i, w in enumerate(words):
            nouns = [x for x in _parses(w) if x.tag.POS == "NOUN"]
            if not nouns:
                continue
            after_noun = i > 0 and any(x.tag.POS == "NOUN" for x in _parses(words[i - 1]))
            if first and not after_noun and _only(w, "nomn"):
                heads.add(lemma(w))
            elif after_noun and _only(w, "gent"):
                deps.add(lemma(w))
            first = False
    return frozenset(heads), frozenset(deps)


def genitive_pair(
    first: str, second: str, heads: frozenset[str], deps: frozenset[str], action: str | None
) -> str | None:
    """Two nominative nouns in a row («матрица ноутбук») as Russian: the dependent one in the genitive
    («матрица ноутбука»). The list decides which one depends: a noun it uses only in the genitive
    after another noun and never as a phrase's head; an action noun («ремонт») governs the other
    («компьютер ремонт» → «ремонт компьютера»); `action` says which of the two is one («first» or
    «second»). None when the list does not tell («принтер картридж»: a cartridge is both)."""
    a, b = first.lower(), second.lower()
    la, lb = lemma(a), lemma(b)
    if action == "first":
        head, dep = (a, b)
    elif action == "second":
        head, dep = (b, a)
    elif lb in deps and lb not in heads and la not in deps:
        head, dep = (a, b)
    elif la in deps and la not in heads and lb not in deps:
        head, dep = (b, a)
    else:
        return None
    reading = next((p for p in _parses(dep) if p.tag.POS == "NOUN" and p.tag.case == "nomn"), None)
    gent = reading.inflect({"gent", reading.tag.number or "sing"}) if reading else None
    if gent is None:
        return None
    return f"{head} {gent.word}"


def _distance(a: str, b: str, cap: int) -> int:
    """Levenshtein distance, giving up (cap + 1) past `cap`."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > cap:
            return cap + 1
        prev = cur
    return prev[-1]


def respell(phrase: str, spellings: Sequence[str], known: frozenset[str]) -> str:
    """`phrase` with each word that neither the dictionary nor `known` has («кондицонера», «достака»)
    replaced by the closest word of `spellings` that is spelt right (one letter off in a short word,
    two in a long one, same first letter): the group's own phrases show how the word is written."""
    words = phrase.split()
    unknown = [
        i
        for i, w in enumerate(words)
        if _CYRILLIC.match(w.lower()) and not _known_word(w.lower(), known)
    ]
    if not unknown:  # the usual case: nothing to respell, no candidates to gather
        return phrase
    candidates = Counter(
        w for p in spellings for w in tokens(p) if _CYRILLIC.match(w) and _known_word(w, known)
    )
    for i in unknown:
        low = words[i].lower()
        cap = 1 if len(low) <= 6 else 2
        scored = [
            (d, -n, c)
            for c, n in candidates.items()
            if c[0] == low[0] and c != low and (d := _distance(low, c, cap)) <= cap
        ]
        if scored:
            words[i] = min(scored)[2]
    return " ".join(words)


def _known_word(word: str, known: frozenset[str]) -> bool:
    return word in known or known_word(word)
