"""Keywords: multiplication, Direct's phrase rules, minus words, implicit duplicates, filtering."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tgassist.ai.text import STOP_WORDS, lemma, tokens

MAX_WORDS = 7
MAX_WORD_CHARS = 35
COMMERCIAL_MODIFIERS: tuple[str, ...] = (
    "купить",
    "цена",
    "заказать",
    "недорого",
    "стоимость",
    "доставка",
)
# Informational, free, job and do-it-yourself intents: never worth paying for in search ads.
DEFAULT_MINUS_WORDS: tuple[str, ...] = (
    "бесплатно",
    "бесплатный",
    "даром",
    "скачать",
    "торрент",
    "torrent",
    "своими руками",
    "самостоятельно",
    "самому",
    "сделать самому",
    "как",
    "почему",
    "зачем",
    "что такое",
    "википедия",
    "wiki",
    "реферат",
    "форум",
    "картинка",
    "фото",
    "видео",
    "youtube",
    "ютуб",
    "вакансия",
    "работа",
    "резюме",
    "зарплата",
    "подработка",
    "инструкция",
    "схема",
    "чертеж",
    "б у",
    "бу",
    "авито",
    "avito",
    "порно",
    "секс",
)
_ALLOWED = re.compile(r"[^0-9A-Za-zА-Яа-яЁё\s\-'\".!+\[\]]")
_WORD = re.compile(r"^[+!]?[0-9A-Za-zА-Яа-яЁё]+(?:['\-.][0-9A-Za-zА-Яа-яЁё]+)*$")


@dataclass
class KeywordCandidate:
    """A key phrase before it is saved: text, frequency (None = unknown), source, minus words."""

    phrase: str
    frequency: int | None = None
    source: str = "brief"
    minus_words: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return lemma_key(self.phrase)


@dataclass
class FilterReport:
    """What filtering did, for the campaign report."""

    input: int = 0
    kept: int = 0
    invalid: list[str] = field(default_factory=list)
    minus: int = 0
    low_frequency: int = 0
    duplicates: int = 0
    over_limit: int = 0
    drops: list[dict[str, object]] = field(default_factory=list)  # see campaigns/summary.py

    def as_dict(self) -> dict[str, object]:
        return {
            "drops": self.drops,
            "input": self.input,
            "kept": self.kept,
            "invalid": len(self.invalid),
            "invalid_examples": self.invalid[:10],
            "minus": self.minus,
            "low_frequency": self.low_frequency,
            "duplicates": self.duplicates,
            "over_limit": self.over_limit,
        }


_REMARK = re.compile(r"\([^()|]*\)")


def plain_words(phrase: str) -> list[str]:
    """The phrase's words without operators."""
    return tokens(re.sub(r"[\"\[\]!+]", " ", phrase))


def lemma_key(phrase: str) -> str:
    """Order-free lemma set without stop words: phrases with equal keys are implicit duplicates."""
    lems = {lemma(w) for w in plain_words(phrase) if w not in STOP_WORDS}
    return " ".join(sorted(lems)) or " ".join(sorted(lemma(w) for w in plain_words(phrase)))


def sanitise(phrase: str) -> tuple[str, list[str]]:
    """Clean a phrase for Direct: allowed characters only, valid operators; split off `-minus` words.
    A remark in parentheses is not part of the query («Кредитные карты (оверолл)» in an analyst's
    sheet); Direct's own «(a|b)» alternatives keep their words."""
    phrase = _REMARK.sub(" ", phrase)
    text = _ALLOWED.sub(" ", phrase.replace("ё", "е").replace("Ё", "Е")).lower()
    words: list[str] = []
    minus: list[str] = []
    for tok in text.split():
        if tok.startswith("-") and len(tok) > 1 and words:
            minus.append(tok.lstrip("-!+"))
            continue
        words.append(tok)
    words = list(dict.fromkeys(words))  # "диван купить диван купить" → "диван купить"
    text = " ".join(words)
    # Quotes are valid only as one pair around the whole phrase.
    quoted = text.startswith('"') and text.endswith('"') and text.count('"') == 2 and len(text) > 2
    text = text.replace('"', " ")
    # Square brackets: balanced and not nested, else dropped.
    depth, ok = 0, True
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        ok = ok and 0 <= depth <= 1
    if not ok or depth:
        text = text.replace("[", " ").replace("]", " ")
    out = []
    for tok in text.split():
        core = tok.strip("[]")
        if not core:
            out.append(tok) if tok in ("[", "]") else None
            continue
        core = re.sub(r"(?<=\D)\.|\.(?=\D)|^\.|\.$", "", core)  # dots only inside numbers
        core = re.sub(r"^[+!]+(?=[+!])", "", core)  # one operator per word
        core = re.sub(r"(?<=.)[+!]", "", core)  # operators only in front of a word
        if core in ("+", "!", "-", "'", ""):
            continue
        out.append(tok.replace(tok.strip("[]"), core, 1))
    text = " ".join(out).replace("[ ", "[").replace(" ]", "]")
    text = re.sub(r"\[\]", "", text).strip()
    return (f'"{text}"' if quoted and text else text), minus


def check_phrase(phrase: str) -> str | None:
    """Why Direct would refuse this (sanitised) phrase, or None when it is valid."""
    words = [w.strip('"[]') for w in phrase.split()]
    words = [w for w in words if w]
    if not words:
        return "пустая фраза"
    for w in words:
        if not _WORD.match(w):
            return f"недопустимые символы в слове {w!r}"
        if len(w.lstrip("+!")) > MAX_WORD_CHARS:
            return f"слово длиннее {MAX_WORD_CHARS} символов: {w}"
    significant = [w for w in words if w.startswith(("+", "!")) or w not in STOP_WORDS]
    if len(significant) > MAX_WORDS:
        return f"больше {MAX_WORDS} значимых слов ({len(significant)})"
    return None


def multiply(
    base: Sequence[str],
    region_words: Sequence[str] = (),
    modifiers: Sequence[str] = COMMERCIAL_MODIFIERS,
) -> list[KeywordCandidate]:
    """Base phrases × commercial modifiers × region words; frequency left empty."""
    out: list[KeywordCandidate] = []
    for b in base:
        b = " ".join(b.split())
        has_mod = {lemma(w) for w in tokens(b)} & {lemma(m) for m in modifiers}
        variants = [b] + (
            []
            if has_mod
            else [f"{m} {b}" if m in ("купить", "заказать") else f"{b} {m}" for m in modifiers]
        )
        for v in variants:
            out.append(KeywordCandidate(v, None, "multiplication"))
            out += [KeywordCandidate(f"{v} {r}", None, "multiplication") for r in region_words]
    return out


def minus_lemma_sets(minus_words: Iterable[str], base: Sequence[str]) -> list[frozenset[str]]:
    """Minus words/phrases as lemma sets; words of the base phrases never become minus words."""
    base_lemmas = {lemma(w) for b in base for w in tokens(b)}
    out = []
    for m in minus_words:
        lems = frozenset(lemma(w) for w in tokens(m))
        if lems and not lems <= base_lemmas:
            out.append(lems)
    return out


def phrase_problem(phrase: str) -> tuple[str, dict[str, object]] | None:
    """Why Direct would refuse this sanitised phrase, as a code and its parameters; None when valid."""
    words = [w.strip('"[]') for w in phrase.split()]
    words = [w for w in words if w]
    if not words:
        return "empty", {}
    for w in words:
        if not _WORD.match(w):
            return "bad_chars", {"word": w}
        if len(w.lstrip("+!")) > MAX_WORD_CHARS:
            return "long_word", {"word": w, "limit": MAX_WORD_CHARS}
    significant = [w for w in words if w.startswith(("+", "!")) or w not in STOP_WORDS]
    if len(significant) > MAX_WORDS:
        return "too_many_words", {"words": len(significant), "limit": MAX_WORDS}
    return None


def filter_keywords(
    candidates: Sequence[KeywordCandidate],
    *,
    base: Sequence[str],
    minus_words: Iterable[str] = (),
    min_frequency: int = 0,
    max_count: int = 5000,
    use_default_minus: bool = True,
    product: str = "",
) -> tuple[list[KeywordCandidate], FilterReport]:
    """Sanitise, drop invalid/minus/low-frequency phrases, merge implicit duplicates, cap the count.

    Nothing goes in silence: `report.drops` lists each minus word with the phrases it removed, the
    shipped minus words not applied because they hit the product or the base phrases (a photo-book
    shop needs «фото»), merged duplicates, phrases over Direct's limits and phrases past the cap."""
    from tgassist.campaigns.summary import drop

    report = FilterReport(input=len(candidates))
    own = {lemma(w) for text in (*base, product) for w in tokens(text)}
    shipped = list(DEFAULT_MINUS_WORDS) if use_default_minus else []
    user_minus = [m for m in minus_words if m.strip()]
    conflicts = [m for m in shipped if {lemma(w) for w in tokens(m)} & own]
    for m in conflicts:
        report.drops.append(drop("minus_word_not_applied", word=m))
    applied = [m for m in shipped if m not in conflicts] + user_minus
    minus = [(m, lems) for m in applied for lems in minus_lemma_sets([m], base)]
    for m in user_minus:
        if not minus_lemma_sets([m], base):  # the user's own minus word is a word of a base phrase
            report.drops.append(drop("minus_word_not_applied", word=m))
    removed: dict[str, list[str]] = {}
    invalid: list[dict[str, object]] = []
    merged: list[list[str]] = []
    low: list[str] = []
    best: dict[str, KeywordCandidate] = {}
    for c in candidates:
        phrase, extra_minus = sanitise(c.phrase)
        problem = phrase_problem(phrase)
        if problem:
            report.invalid.append(f"{c.phrase}: {problem[0]}")
            invalid.append({"phrase": c.phrase, "problem": problem[0], **problem[1]})
            continue
        lems = {lemma(w) for w in plain_words(phrase)}
        hit = next((m for m, ms in minus if ms <= lems), None)
        if hit is not None:
            report.minus += 1
            removed.setdefault(hit, []).append(phrase)
            continue
        if c.frequency is not None and c.frequency < min_frequency:
            report.low_frequency += 1
            low.append(phrase)
            continue
        kc = KeywordCandidate(phrase, c.frequency, c.source, sorted({*c.minus_words, *extra_minus}))
        key = kc.key
        prev = best.get(key)
        if prev is None:
            best[key] = kc
            continue
        report.duplicates += 1
        if (kc.frequency or -1) > (prev.frequency or -1):
            kc.minus_words = sorted({*kc.minus_words, *prev.minus_words})
            best[key] = kc
            merged.append([kc.phrase, prev.phrase])
        else:
            merged.append([prev.phrase, kc.phrase])
        if (
            merged[-1][0] == merged[-1][1]
        ):  # the very same phrase twice (a base phrase also in the file)
            merged[-1] = [kc.phrase]
    kept = sorted(best.values(), key=lambda k: -(k.frequency or 0))
    cut: list[str] = []
    if len(kept) > max_count:
        report.over_limit = len(kept) - max_count
        cut = [k.phrase for k in kept[max_count:]]
        kept = kept[:max_count]
    report.kept = len(kept)
    for word, phrases in sorted(removed.items(), key=lambda kv: -len(kv[1])):
        report.drops.append(
            drop(
                "minus_word",
                word=word,
                shipped=word not in user_minus,
                count=len(phrases),
                phrases=phrases,
            )
        )
    if merged:
        report.drops.append(drop("duplicates", count=len(merged), pairs=merged))
    if invalid:
        report.drops.append(drop("over_limits", count=len(invalid), items=invalid))
    if low:
        report.drops.append(drop("low_frequency", count=len(low), limit=min_frequency, phrases=low))
    if cut:
        report.drops.append(
            drop(
                "keyword_limit",
                count=len(cut),
                limit=max_count,
                setting="TGASSIST_CAMPAIGNS_MAX_KEYWORDS",
                phrases=cut,
            )
        )
    return kept, report
