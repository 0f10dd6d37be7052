"""What a key phrase asks for: its action, audience and object words, with typos and word forms folded.

`analyse(phrases)` reads a whole list at once, because a typo is recognised against the list itself
(«кандиционер» is one letter from «кондиционер», which the list holds 40 times) and word forms are tied
by their common stem across the list («бухгалтерия», «бухгалтерский», «бухгалтер»).

A phrase's *signature* is the set of its meaning units: `@repair`-style action classes, `#children`-style
audiences, and object roots. Commercial words, places, numbers and stop words are left out, so «купить
диван недорого в москве» and «диваны цена» share the signature {диван}.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from tgassist.ai.text import STOP_WORDS, STOP_WORDS_RU, lemma, morph
from tgassist.campaigns.keywords import plain_words
from tgassist.campaigns.lexicon import (
    ABBREVIATIONS,
    ACTION_OF,
    AUDIENCE_OF,
    BUSINESS_AFTER_FOR,
    COMBINING_FORMS,
    GENERIC,
    NUMBER_WORDS,
    PLACE_WORDS,
    SYNONYMS,
    WITH_PREPOSITIONS,
)
from tgassist.campaigns.morph import known_word
from tgassist.campaigns.regions import REGIONS

_DIGIT = re.compile(r"\d")
_CYRILLIC = re.compile(r"^[а-яё]+$")
# Share of the shorter lemma two lemmas must have in common to be one word: «бухгалтерия» /
# «бухгалтерский» (9 of 11) are, «автомат» / «автомобиль» (5 of 7) are not.
STEM_SHARE = 0.8
REGION_LEMMAS = frozenset(
    lemma(w)
    for r in REGIONS
    for phrase in (*r.words, *r.aliases, r.name)
    for w in phrase.replace("-", " ").split()
)


@dataclass(frozen=True)
class PhraseIntent:
    """One phrase read: its signature and the words behind each unit (for names and explanations)."""

    signature: frozenset[str]
    words: dict[str, str]  # unit → the phrase's word that carries it

    @property
    def action(self) -> str | None:
        return next((u[1:] for u in sorted(self.signature) if u.startswith("@")), None)


@lru_cache(maxsize=100_000)
def _is_place(word: str) -> bool:
    return any("Geox" in p.tag for p in morph().parse(word)[:2])


@lru_cache(maxsize=100_000)
def _other_lemmas(word: str) -> tuple[str, ...]:
    """Other likely normal forms of an ambiguous word, same part of speech as the first reading."""
    parses = morph().parse(word)
    pos = parses[0].tag.POS
    first = parses[0].normal_form
    return tuple(
        {p.normal_form.replace("ё", "е") for p in parses[1:] if p.tag.POS == pos and p.score >= 0.2}
        - {first}
    )


@lru_cache(maxsize=100_000)
def is_noun(word: str) -> bool:
    return morph().parse(word)[0].tag.POS == "NOUN"


@lru_cache(maxsize=100_000)
def is_verb(word: str) -> bool:
    """An infinitive or a verb form («поставить», «течь» as in «течет»)."""
    return morph().parse(word)[0].tag.POS in ("INFN", "VERB")


@lru_cache(maxsize=100_000)
def _is_abbr(word: str) -> bool:
    return "Abbr" in morph().parse(word)[0].tag or not known_word(word)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Damerau–Levenshtein without repeated edits)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def typo_fixes(counts: Counter[str]) -> dict[str, str]:
    """Misspelt words of the list → the list's word they were meant as.

    A word is a typo when the dictionary does not know it and a word at most one edit away (two for
    long words) is in the list at least three times as often (and at least twice)."""
    index: dict[str, list[str]] = defaultdict(list)
    for w, c in counts.items():
        if c >= 2 and len(w) >= 4 and _CYRILLIC.match(w) and (known_word(w) or c >= 3):
            for d in _deletes(w) | {w}:
                index[d].append(w)
    out: dict[str, str] = {}
    for w, c in counts.items():
        if len(w) < 4 or not _CYRILLIC.match(w) or known_word(w):
            continue
        cands = {cand for d in _deletes(w) | {w} for cand in index.get(d, ())}
        best = None
        for cand in sorted(cands, key=lambda x: (-counts[x], x)):
            limit = 2 if min(len(w), len(cand)) >= 8 else 1
            if counts[cand] >= max(2, 3 * c) and _distance(w, cand) <= limit:
                best = cand
                break
        if best and lemma(best) != lemma(w):
            out[w] = best
    return out


_LATIN = re.compile(r"^[a-z]+$")
# Latin → Cyrillic as Russian searchers spell brand and sport names («zumba» / «зумба», «ikea» / «икеа»).
_TRANSLIT = (
    ("sch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ph", "ф"),
    ("th", "т"), ("ck", "к"), ("ya", "я"), ("yu", "ю"), ("oo", "у"), ("ee", "и"), ("x", "кс"),
    ("a", "а"), ("b", "б"), ("c", "к"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "х"),
    ("i", "и"), ("j", "дж"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"),
    ("q", "к"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("w", "в"), ("y", "й"),
    ("z", "з"),
)  # fmt: skip


def transliterate(word: str) -> str:
    out, i = [], 0
    while i < len(word):
        for lat, cyr in _TRANSLIT:
            if word.startswith(lat, i):
                out.append(cyr)
                i += len(lat)
                break
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


def latin_fixes(counts: Counter[str]) -> dict[str, str]:
    """Latin words of the list → the list's Cyrillic spelling of the same name («crossfit» →
    «кроссфит»): the transliteration is at most one edit (two for long words) from a word of 4+
    letters that the list holds at least as often."""
    cyrillic = [w for w in counts if len(w) >= 4 and _CYRILLIC.match(w)]
    out: dict[str, str] = {}
    for w, c in counts.items():
        if len(w) < 4 or not _LATIN.match(w):
            continue
        t = transliterate(w)
        limit = 2 if len(t) >= 7 else 1
        near = [x for x in cyrillic if counts[x] >= c and abs(len(x) - len(t)) <= limit]
        best = min(near, key=lambda x: (_distance(t, x), -counts[x], x), default=None)
        if best is not None and _distance(t, best) <= limit:
            out[w] = best
    return out


def stem_roots(lemmas: Counter[str], aliases: Sequence[tuple[str, str]] = ()) -> dict[str, str]:
    """Lemma → root: lemmas sharing a long common prefix are one word in different parts of speech
    («бухгалтерия» / «бухгалтерский»); an abbreviation joins the word it starts («англ» → «английский»).
    `aliases` are pairs of normal forms of one ambiguous word («цветов»: «цвет», «цветок»).
    The root is the most frequent lemma of its set."""
    parent = {w: w for w in lemmas}

    def find(w: str) -> str:
        while parent[w] != w:
            parent[w] = parent[parent[w]]
            w = parent[w]
        return w

    words = sorted(w for w in lemmas if _CYRILLIC.match(w))
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for w in words:
        if len(w) >= 5:
            by_prefix[w[:5]].append(w)
    for group in by_prefix.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                common = len(_common_prefix(a, b))
                if common >= STEM_SHARE * min(len(a), len(b)):
                    parent[find(a)] = find(b)
    for a, b in [*aliases, *derived_pairs(words)]:
        if a in parent and b in parent:
            parent[find(a)] = find(b)
    for w in words:  # abbreviations: «англ», «бух»
        if 3 <= len(w) <= 5 and _is_abbr(w):
            longer = [x for x in words if len(x) > len(w) + 2 and x.startswith(w)]
            if longer:
                parent[find(w)] = find(max(longer, key=lambda x: lemmas[x]))
    sets: dict[str, list[str]] = defaultdict(list)
    for w in lemmas:
        sets[find(w)].append(w)
    out = {}
    for members in sets.values():
        root = max(members, key=lambda x: (lemmas[x], -len(x), x))
        out.update({m: root for m in members})
    return out


def _no_fleeting(word: str) -> str:
    """The word without soft/hard signs and the vowels «е»/«о» after its third letter: the letters that
    come and go between a noun and its adjective («свадьба» / «свадебный», «семья» / «семейный»)."""
    return word[:3].replace("ь", "") + "".join(c for c in word[3:] if c not in "ьъео")


def derived_pairs(lemmas: Sequence[str]) -> list[tuple[str, str]]:
    """(adjective, noun) pairs of one word: a relative adjective made from a noun of the list
    («свадебный» ← «свадьба», «парный» ← «пара», «кузовной» ← «кузов»): the noun's stem (without its
    ending vowel) starts the adjective, give or take a fleeting vowel, is at least 3 letters long and
    leaves at most 4 letters of suffix and ending."""
    stems: dict[str, str] = {}
    for w in lemmas:
        if _pos(w) == "NOUN":
            stem = _no_fleeting(w.rstrip("аяоеиыйь"))
            if len(stem) >= 3:
                stems.setdefault(stem, w)
    out = []
    for w in lemmas:
        if _pos(w) != "ADJF":
            continue
        norm = _no_fleeting(w)
        # The suffix and ending are short («-ебн-ый», «-ск-ий»); a longer tail is another word
        # («пионовидный» is peony-shaped, not a peony).
        for n in range(len(norm) - 2, max(2, len(norm) - 5), -1):
            noun = stems.get(norm[:n])
            if noun is not None:
                out.append((w, noun))
                break
    return out


@lru_cache(maxsize=100_000)
def _pos(word: str) -> str | None:
    return morph().parse(word)[0].tag.POS


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


@lru_cache(maxsize=100_000)
def split_compound(word: str) -> tuple[str, ...]:
    """«фотокнига» → («фото», «книга»): a combining form and a dictionary noun of 4+ letters. A word the
    dictionary knows whole is one word («фотограф» is not «фото» + «граф», «фотосессия» is one service)."""
    if known_word(word):
        return (word,)
    for form in COMBINING_FORMS:
        rest = word[len(form) :]
        if word.startswith(form) and len(rest) >= 4 and known_word(rest):
            if morph().parse(rest)[0].tag.POS == "NOUN":
                return (form, rest)
    return (word,)


# Long forms as lemma sets (largest first) → the word they are read as.
_LONG_FORMS: tuple[tuple[frozenset[str], str], ...] = tuple(
    sorted(
        (
            (frozenset(lemma(w) for w in form.split()), word)
            for word, forms in ABBREVIATIONS.items()
            for form in forms
        ),
        key=lambda x: (-len(x[0]), x[1], sorted(x[0])),
    )
)


@lru_cache(maxsize=100_000)
def _counted(word: str) -> bool:
    """A noun in the genitive plural: what a number counts («сто роз», «сто рублей»)."""
    return any(
        p.tag.POS == "NOUN" and "gent" in p.tag and "plur" in p.tag for p in morph().parse(word)[:3]
    )


def expand_abbreviations(words: list[str]) -> list[str]:
    """A phrase's long forms and abbreviations read as the word the lexicon names (`ABBREVIATIONS`)."""
    lems = [lemma(w) for w in words]
    out = list(words)
    for form, word in _LONG_FORMS:
        if not form <= set(lems):
            continue
        if len(form) == 1:
            i = lems.index(next(iter(form)))
            nxt = out[i + 1] if i + 1 < len(out) else ""
            if out[i] in NUMBER_WORDS and (not nxt or _counted(nxt) or _DIGIT.search(nxt)):
                continue
        at = [i for i, lem in enumerate(lems) if lem in form]
        keep = [i for i in range(len(out)) if i not in at[1:]] if len(form) > 1 else range(len(out))
        out = [word if i == at[0] else out[i] for i in keep]
        lems = [lemma(w) for w in out]
    return out


def _words(phrase: str) -> list[str]:
    return [p for w in plain_words(phrase) for p in w.replace("ё", "е").split("-") if p]


def analyse(phrases: Sequence[str]) -> list[PhraseIntent]:
    """Signatures of all phrases of one list."""
    raw = [_words(p) for p in phrases]
    raw_counts = Counter(w for ws in raw for w in ws)
    fixes = {**typo_fixes(raw_counts), **latin_fixes(raw_counts)}
    tokenised = [
        expand_abbreviations([c for w in ws for c in split_compound(fixes.get(w, w))]) for ws in raw
    ]
    # A dictionary place name that a large share of the list carries is the product («сплит»), in
    # any of its forms («туры в турцию», «отдых в турции»). A list with two or more such places sells
    # places (destinations): there every place name is a product, the rare ones too («тур на пхукет»).
    common = max(3.0, 0.04 * len(phrases))
    place_counts = Counter(
        lemma(w)
        for ws in tokenised
        for w in set(ws)
        if _is_place(w) and lemma(w) not in REGION_LEMMAS
    )
    destinations = sum(1 for c in place_counts.values() if c >= common) >= 2
    units: list[list[tuple[str, str, str]]] = []  # per phrase: (kind, key, word)
    lemma_counts: Counter[str] = Counter()
    aliases: list[tuple[str, str]] = []
    for ws in tokenised:
        # In a Russian phrase a Latin word is a name («английский для it»), never an English stop word.
        stop = STOP_WORDS_RU if any(_CYRILLIC.match(w) for w in ws) else STOP_WORDS
        row: list[tuple[str, str, str]] = []
        action_seen = False
        for i, w in enumerate(ws):
            prev = ws[i - 1] if i else ""
            word = w
            lem = lemma(word)
            lem = SYNONYMS.get(lem, lem)
            if w in stop or lem in stop or _DIGIT.search(w):
                continue
            if lem == "заказ" and prev in ("на", "под"):
                row.append(("audience", "#custom", w))  # made to order: its own intent when asked
                continue
            if lem in GENERIC or lem in PLACE_WORDS or lem in REGION_LEMMAS:
                continue
            if _is_place(word) and place_counts[lem] < common and not destinations:
                continue
            if lem in ACTION_OF:
                if prev in WITH_PREPOSITIONS:
                    continue  # «кондиционер с установкой»: bought with it, not the service sold
                if not action_seen:
                    action_seen = True
                    row.append(("action", "@" + ACTION_OF[lem], w))
                    continue
            if lem in AUDIENCE_OF:
                row.append(("audience", "#" + AUDIENCE_OF[lem], w))
                continue
            if lem in BUSINESS_AFTER_FOR and prev == "для":
                row.append(("audience", "#business", w))
                continue
            for part in lem.split():
                row.append(("object", part, w))
                lemma_counts[part] += 1
            aliases += [(lem, other) for other in _other_lemmas(word)]
        units.append(row)
    roots = stem_roots(lemma_counts, aliases)
    out = []
    for row in units:
        words: dict[str, str] = {}
        for kind, key, w in row:
            unit = roots.get(key, key) if kind == "object" else key
            words.setdefault(unit, w)
        out.append(PhraseIntent(frozenset(words), words))
    return out
