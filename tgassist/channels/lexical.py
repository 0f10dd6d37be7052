"""Lexical side of search: a Russian/English/Chinese analyzer and an incremental BM25 index.

Words are lowercased (ё → е), mixed Latin/Cyrillic words are mapped to their main script
(`Mоsква` typed with a Latin M), stop words dropped, and stemmed with Snowball (PyStemmer) by
script; a run of Chinese characters becomes its character bigrams. The index takes posts one at a
time (an edit replaces the post's old slot), so a new post is searchable without a rebuild.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import Stemmer

from tgassist.ai.text import STOP_WORDS

WORD_RE = re.compile(
    r"[0-9A-Za-zА-Яа-яЁё]+(?:[-'’][0-9A-Za-zА-Яа-яЁё]+)*|[\u3400-\u4dbf\u4e00-\u9fff]+"
)
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
CYR_RE = re.compile(r"[а-яё]")
LAT_RE = re.compile(r"[a-z]")
# Letters that look the same in both scripts (what a mixed-layout word is usually made of).
LAT_TO_CYR = str.maketrans("aceopxykmhtb", "асеорхукмнтв")
CYR_TO_LAT = str.maketrans("асеорхукмнтв", "aceopxykmhtb")
# The same key on a ЙЦУКЕН and a QWERTY keyboard (text typed in the wrong layout).
_QWERTY = "qwertyuiop[]asdfghjkl;'zxcvbnm,."
_JCUKEN = "йцукенгшщзхъфывапролджэячсмитьбю"
LAYOUT_TO_CYR = str.maketrans(_QWERTY, _JCUKEN)
LAYOUT_TO_LAT = str.maketrans(_JCUKEN, _QWERTY)
RU_ALPHABET = "абвгдежзийклмнопрстуфхцчшщыьэюя"
EN_ALPHABET = "abcdefghijklmnopqrstuvwxyz"

_ru = Stemmer.Stemmer("russian")
_en = Stemmer.Stemmer("english")


def fix_script(word: str) -> str:
    """A word mixing Latin and Cyrillic look-alike letters, written in its main script."""
    if word.isascii() or not LAT_RE.search(word):  # one script only (the usual case)
        return word
    cyr = len(CYR_RE.findall(word))
    lat = len(LAT_RE.findall(word))
    if not cyr or not lat:
        return word
    return word.translate(LAT_TO_CYR) if cyr >= lat else word.translate(CYR_TO_LAT)


@lru_cache(maxsize=300_000)
def stem(word: str) -> str:
    """Snowball stem of one lowercased word (Russian or English by its letters)."""
    if CYR_RE.search(word):
        return str(_ru.stemWord(word))
    if LAT_RE.search(word):
        return str(_en.stemWord(word))
    return word


def words(text: str) -> list[tuple[str, int, int]]:
    """(normalised word, start, end) of every word; Chinese runs are kept whole here."""
    out = []
    for m in WORD_RE.finditer(text):
        w = m.group(0).lower().replace("ё", "е").replace("’", "'")
        if not CJK_RE.match(w):
            w = fix_script(w)
        out.append((w, m.start(), m.end()))
    return out


def word_terms(word: str) -> list[str]:
    """Index terms of one normalised word: [] for a stop word, bigrams for Chinese."""
    if CJK_RE.match(word):
        if len(word) == 1:
            return [word]
        return [word[i : i + 2] for i in range(len(word) - 1)]
    if word in STOP_WORDS or (len(word) == 1 and not word.isdigit()):
        return []
    return [stem(word)]


def analyze(text: str) -> list[str]:
    """Index terms of a text."""
    out: list[str] = []
    for w, _s, _e in words(text):
        out.extend(word_terms(w))
    return out


def _edits1(word: str) -> set[str]:
    letters = RU_ALPHABET if CYR_RE.search(word) else EN_ALPHABET
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in letters]
    inserts = [a + c + b for a, b in splits for c in letters]
    return set(deletes + swaps + replaces + inserts)


class LexicalIndex:
    """BM25 (k1=1.2, b=0.75) over slots; `add` appends a slot, `remove` retires one."""

    k1 = 1.2
    b = 0.75

    def __init__(self) -> None:
        self.postings: dict[str, tuple[array[int], array[float]]] = {}
        self.df: Counter[str] = Counter()
        self.lengths = array("f")
        self.alive = array("b")
        self.total_len = 0.0
        self.live = 0

    def __len__(self) -> int:
        return len(self.lengths)

    def add(self, terms: list[str]) -> int:
        """Index one document; returns its slot."""
        slot = len(self.lengths)
        counts = Counter(terms)
        for term, tf in counts.items():
            plist = self.postings.get(term)
            if plist is None:
                plist = self.postings[term] = (array("i"), array("f"))
            plist[0].append(slot)
            plist[1].append(float(tf))
            self.df[term] += 1
        self.lengths.append(float(len(terms)))
        self.alive.append(1)
        self.total_len += len(terms)
        self.live += 1
        return slot

    def remove(self, slot: int, terms: Iterable[str]) -> None:
        """Retire a slot (an edited or deleted post); its postings stay but never score."""
        if not self.alive[slot]:
            return
        self.alive[slot] = 0
        for term in set(terms):
            self.df[term] -= 1
        self.total_len -= self.lengths[slot]
        self.live -= 1

    def known(self, term: str) -> bool:
        return self.df.get(term, 0) > 0

    def correct(self, word: str) -> list[str]:
        """Terms of a query word that is not in the index: the other keyboard layout, or the
        most frequent indexed word one edit away (a typo). [] when nothing fits."""
        terms = word_terms(word)
        if not terms or all(self.known(t) for t in terms) or CJK_RE.match(word):
            return terms
        swapped = word.translate(LAYOUT_TO_CYR if LAT_RE.search(word) else LAYOUT_TO_LAT)
        if swapped != word and all(self.known(t) for t in word_terms(swapped) or ["\0"]):
            return word_terms(swapped)
        if len(word) < 4 or word.isdigit():
            return []
        stemmer = _ru if CYR_RE.search(word) else _en
        stems = stemmer.stemWords(sorted(_edits1(word)))  # one call for all candidates
        get = self.df.get
        best_df, best = max(((get(t, 0), t) for t in stems), default=(0, ""))
        return [best] if best_df > 0 else []

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every slot for these query terms (0 for retired slots)."""
        n = len(self.lengths)
        out = np.zeros(n, dtype=np.float32)
        if not n or not self.live:
            return out
        lengths = np.frombuffer(self.lengths, dtype=np.float32)
        avgdl = max(self.total_len / self.live, 1.0)
        for term, qtf in Counter(terms).items():
            plist = self.postings.get(term)
            df = self.df.get(term, 0)
            if plist is None or df <= 0:
                continue
            idf = math.log(1 + (self.live - df + 0.5) / (df + 0.5))
            docs = np.frombuffer(plist[0], dtype=np.int32)
            tf = np.frombuffer(plist[1], dtype=np.float32)
            norm = self.k1 * (1 - self.b + self.b * lengths[docs] / avgdl)
            out[docs] += qtf * idf * tf * (self.k1 + 1) / (tf + norm)
        out *= np.frombuffer(self.alive, dtype=np.int8)
        return out


__all__ = ["LexicalIndex", "analyze", "fix_script", "stem", "word_terms", "words"]
