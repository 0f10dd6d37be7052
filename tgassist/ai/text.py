"""Russian/English text utilities: tokens, lemmas (pymorphy3), stop words, script detection."""

from __future__ import annotations

import re
from functools import lru_cache

import pymorphy3

WORD_RE = re.compile(r"[A-Za-zА-Яа-яЁё0-9]+(?:[-'][A-Za-zА-Яа-яЁё0-9]+)*")
CYRILLIC_RE = re.compile(r"[А-Яа-яЁё]")
LATIN_RE = re.compile(r"[A-Za-z]")

STOP_WORDS_RU = frozenset(
    """а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже для до
    его ее её если есть еще ещё же за здесь и из или им их к как ко когда кто ли либо мне может мы на над
    надо наш не него нее неё нет ни них но ну о об однако он она они оно от очень по под при про с со так
    также такой там те тем то того тоже той только том ты у уже хотя чего чей чем что чтобы чье чья эта эти
    это этот я свой который этого этой этом эту ваш наш мой твой себя сам самый весь всё это""".split()
)
STOP_WORDS_EN = frozenset(
    """a an the and or but if then else of to in on at by for with from as is are was were be been being
    this that these those it its they them their there here we you your he she his her our us i me my not no
    do does did have has had will would can could should may might must just so than too very about into over
    after before up down out more most some any each other such only own same what which who whom how when where
    why all both few""".split()
)
STOP_WORDS = STOP_WORDS_RU | STOP_WORDS_EN


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


def morph() -> pymorphy3.MorphAnalyzer:
    """The shared pymorphy3 analyzer (loading it takes ~0.3 s, so it is built once)."""
    return _morph()


def tokens(text: str) -> list[str]:
    """Lowercased word tokens (letters, digits, inner hyphens)."""
    return [m.group(0).lower() for m in WORD_RE.finditer(text)]


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """Normal form of one word (Russian via pymorphy3; other scripts lowercased as is)."""
    w = word.lower().replace("ё", "е")
    if not CYRILLIC_RE.search(w):
        return w
    return str(morph().parse(w)[0].normal_form).replace("ё", "е")


def lemmas(text: str, drop_stop_words: bool = True) -> list[str]:
    out = []
    for tok in tokens(text):
        lem = lemma(tok)
        if drop_stop_words and (tok in STOP_WORDS or lem in STOP_WORDS):
            continue
        out.append(lem)
    return out


def cyrillic_ratio(text: str) -> float:
    """Share of letters that are Cyrillic (0.0 for no letters)."""
    cyr = len(CYRILLIC_RE.findall(text))
    lat = len(LATIN_RE.findall(text))
    return cyr / (cyr + lat) if cyr + lat else 0.0


def is_mostly_cyrillic(text: str, threshold: float = 0.5) -> bool:
    return cyrillic_ratio(text) > threshold
