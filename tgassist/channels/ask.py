"""Answers to questions over the user's channels, always with numbered citations.

Offline the answer is extractive: the best 1–3 sentences of the retrieved posts, scored on meaning
(embedding similarity), shared words (idf-weighted) and matching numbers, dates and names. With an
LLM the answer is written from the same passages and checked: every citation must point to a
passage it was given and every sentence must be supported by what it cites; otherwise it is asked
once more, then the extractive answer is given. Below TGASSIST_ASK_MIN_CONFIDENCE the answer is
"not found in your channels", never a guess.
"""

from __future__ import annotations

import math
import re
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

import numpy as np
import structlog

from tgassist.ai.base import ChatMessage
from tgassist.ai.text import STOP_WORDS
from tgassist.channels.corpus import Corpus
from tgassist.channels.lexical import analyze
from tgassist.channels.search import SearchQuery, hit_of, rank

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?…])\s+|\n+|(?<=[。！？])")
CITATION_RE = re.compile(r"\[(\d+)\]")
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")
# Question words carry no content: a passage need not contain them.
QUESTION_WORDS = frozenset(
    analyze(
        "сколько какой какая какое какие каков почему зачем откуда куда чей "
        "which whose many much did does tell say said"
    )
)
MAX_SENTENCE_CHARS = 400
SENTENCE_CACHE_SIZE = 8192
QUOTE_CHARS = 300


@dataclass(frozen=True)
class AnswerSource:
    """A cited post: [n] in the answer text is `sources[n-1]`."""

    n: int
    post_id: int
    channel: str
    channel_title: str
    message_id: int
    url: str | None
    source_label: str
    quote: str


@dataclass(frozen=True)
class Answer:
    """`found` False: `text` is empty and the door shows `message_key` (not found)."""

    text: str
    found: bool
    sources: tuple[AnswerSource, ...]
    mode: str  # extractive | llm | none
    confidence: float
    message_key: str | None = None


@dataclass
class Sentence:
    passage: int  # index into the passages
    text: str
    score: float = 0.0


def sentences(text: str) -> list[str]:
    return list(_split(text))


@lru_cache(maxsize=4096)
def _split(text: str) -> tuple[str, ...]:
    """The sentences of a post (cached: the same posts come back for related questions)."""
    out = []
    for part in SENTENCE_SPLIT_RE.split(text):
        s = part.strip()
        if len(analyze(s)) >= 2:
            out.append(s[:MAX_SENTENCE_CHARS])
    return tuple(out)


@lru_cache(maxsize=SENTENCE_CACHE_SIZE)
def _sentence_terms(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """A sentence's index terms and its numbers and names."""
    terms = frozenset(analyze(text))
    return terms, frozenset(_specials(text))


class SentenceVectors:
    """Vectors of the last SENTENCE_CACHE_SIZE sentences ask has scored, per embedder."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.by_embedder: weakref.WeakKeyDictionary[Any, OrderedDict[str, np.ndarray]] = (
            weakref.WeakKeyDictionary()
        )

    async def of(self, embedder: Any, texts: list[str]) -> np.ndarray:
        cache = self.by_embedder.setdefault(embedder, OrderedDict())
        out = np.empty((len(texts), embedder.dim), dtype=np.float32)
        missing = []
        for i, text in enumerate(texts):
            vec = cache.get(text)
            if vec is None:
                missing.append(i)
            else:
                cache.move_to_end(text)
                out[i] = vec
        if missing:
            fresh = np.asarray(await embedder.embed([texts[i] for i in missing]), np.float32)
            for row, i in enumerate(missing):
                out[i] = cache[texts[i]] = fresh[row].copy()
            while len(cache) > self.size:
                cache.popitem(last=False)
        return out

    def clear(self) -> None:
        self.by_embedder.clear()


SENTENCE_VECTORS = SentenceVectors(SENTENCE_CACHE_SIZE)


def clear_caches() -> None:
    """Forget cached sentence splits, terms and vectors (benchmarks measuring cold answers)."""
    _split.cache_clear()
    _sentence_terms.cache_clear()
    SENTENCE_VECTORS.clear()


_LAT = "abvgdezijklmnoprstufhcy"
_CYR = "абвгдезийклмнопрстуфхцы"
TO_CYR = str.maketrans(_LAT, _CYR)
TO_LAT = str.maketrans(_CYR + "ёжчшщэюя", _LAT + "ezcssjuy")
NAME_PENALTY = 0.12
# Sentence score weights: meaning, shared words, numbers/names, the post's words, its rank.
W_MEANING, W_WORDS, W_SPECIAL, W_POST, W_RANK = 0.8, 0.15, 0.1, 0.1, 0.05
NAME_PREFIX = 4


def question_names(question: str) -> set[str]:
    """Capitalised words after the first one, and acronyms: who or what the question is about."""
    out = set()
    for i, m in enumerate(re.finditer(r"[A-Za-zА-Яа-яЁё][\w-]+", question)):
        w = m.group(0)
        if (i and w[0].isupper() or (len(w) > 1 and w.isupper())) and w.lower() not in STOP_WORDS:
            out.add(w.lower().replace("ё", "е"))
    return out


def names_match(names: set[str], text: str) -> bool:
    """Whether any name appears in the text (its first letters, in either script)."""
    found = {w.lower().replace("ё", "е") for w in re.findall(r"[\w-]+", text)}
    for name in names:
        for form in {name, name.translate(TO_CYR), name.translate(TO_LAT)}:
            head = form[:NAME_PREFIX]
            if any(w.startswith(head) for w in found):
                return True
    return False


def _idf(corpus: Corpus, term: str) -> float:
    df = corpus.lexical.df.get(term, 0)
    n = max(corpus.lexical.live, 1)
    return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else math.log(1 + n)


def _specials(text: str) -> set[str]:
    """Numbers and capitalised names (not sentence-initial) of a text."""
    nums = {n.replace(",", ".") for n in NUMBER_RE.findall(text)}
    names = set()
    for i, m in enumerate(re.finditer(r"\b[A-ZА-ЯЁ][\w-]+", text)):
        if i or m.start() > 0:
            names.update(analyze(m.group(0)))
    return nums | names


def coverage(q_terms: set[str], text_terms: set[str], weight: dict[str, float]) -> float:
    total = sum(weight[t] for t in q_terms)
    return sum(weight[t] for t in q_terms & text_terms) / total if total else 0.0


async def ask(
    app: App,
    question: str,
    *,
    channel_ids: tuple[int, ...] | None = None,
) -> Answer:
    """Answer `question` from the posts of `channel_ids` (None = all). Raises ReadError on bad input."""
    from tgassist.channels.search import embed_query

    k = app.settings.ask_passages
    corpus, ranked = await rank(
        app, SearchQuery(question, channel_ids=channel_ids, limit=k), need=k
    )
    slots = ranked.slots[:k]
    if not slots:
        return _not_found(0.0)
    q_terms = set(ranked.terms) - QUESTION_WORDS or set(ranked.terms)
    weight = {t: _idf(corpus, t) for t in q_terms}
    q_special = _specials(question)
    qvec = await embed_query(app, question) if corpus.dense_ok else None
    cands: list[Sentence] = []
    for i, slot in enumerate(slots):
        doc = corpus.docs[slot]
        if doc is None:
            continue
        for s in sentences(doc.full_text)[:40]:
            cands.append(Sentence(i, s))
    if not cands:
        return _not_found(0.0)
    sims = np.zeros(len(cands), dtype=np.float32)
    if qvec is not None:
        vecs = await SENTENCE_VECTORS.of(app.embedder, [c.text for c in cands])
        sims = vecs @ qvec
    post_cov = {}
    for i, slot in enumerate(slots):
        doc = corpus.docs[slot]
        post_cov[i] = coverage(q_terms, set(doc.term_set) if doc else set(), weight)
    for c, sim in zip(cands, sims, strict=True):
        terms, specials = _sentence_terms(c.text)
        cov = coverage(q_terms, set(terms), weight)
        special = len(q_special & (specials | terms)) / len(q_special) if q_special else 0
        rank_bonus = 1.0 / (1 + c.passage)
        c.score = (
            W_MEANING * float(sim)
            + W_WORDS * cov
            + W_SPECIAL * special
            + W_POST * post_cov[c.passage]
            + W_RANK * rank_bonus
        )
    cands.sort(key=lambda c: -c.score)
    best = cands[0]
    # Calibrated on the tune half of the QA set (docs/BENCHMARKS.md): the best sentence's meaning
    # similarity separates answerable from unanswerable questions; shared words add a little.
    best_sim = float(np.max(sims)) if qvec is not None else 0.0
    cov = max(post_cov.values())
    # Words only (no embedder): most of the question's weighted words must be in one post.
    confidence = best_sim + 0.25 * cov if qvec is not None else 0.6 * cov
    best_doc = corpus.docs[slots[best.passage]]
    names = question_names(question)
    if names and best_doc is not None and not names_match(names, best_doc.full_text):
        confidence -= NAME_PENALTY  # the question is about someone or somewhere the post is not
    confidence = round(confidence, 4)
    if confidence < app.settings.ask_min_confidence:
        return _not_found(confidence)
    if app.llm is not None:
        answer = await _llm_answer(app, corpus, slots, ranked.terms, question, confidence)
        if answer is not None:
            return answer
        extractive = _extractive(corpus, slots, cands, set(ranked.terms), confidence)
        return Answer(
            extractive.text,
            True,
            extractive.sources,
            "extractive",
            confidence,
            "search.ask.llm_fallback",
        )
    return _extractive(corpus, slots, cands, set(ranked.terms), confidence)


def _not_found(confidence: float) -> Answer:
    return Answer("", False, (), "none", round(confidence, 4), "search.ask.not_found")


def _source(corpus: Corpus, n: int, slot: int, terms: set[str], quote: str) -> AnswerSource:
    hit = hit_of(corpus, slot, 0.0, terms, [])
    return AnswerSource(
        n=n,
        post_id=hit.post_id,
        channel=hit.channel,
        channel_title=hit.channel_title,
        message_id=hit.message_id,
        url=hit.url,
        source_label=hit.source_label,
        quote=quote[:QUOTE_CHARS],
    )


def _extractive(
    corpus: Corpus, slots: list[int], cands: list[Sentence], terms: set[str], confidence: float
) -> Answer:
    best = cands[0]
    chosen = [best]
    for c in cands[1:]:
        if len(chosen) == 3 or c.score < 0.8 * best.score:
            break
        if c.passage == best.passage and c.text not in {x.text for x in chosen}:
            chosen.append(c)
    numbers: dict[int, int] = {}
    sources: list[AnswerSource] = []
    parts = []
    for c in chosen:
        if c.passage not in numbers:
            numbers[c.passage] = len(numbers) + 1
            sources.append(_source(corpus, numbers[c.passage], slots[c.passage], terms, c.text))
        parts.append(f"{c.text} [{numbers[c.passage]}]")
    return Answer(" ".join(parts), True, tuple(sources), "extractive", confidence)


PROMPT = (
    "Answer the question using ONLY the numbered passages from Telegram channels. "
    "Write 1-3 short sentences in the language of the question. End every sentence with the "
    "number(s) of the passage(s) that support it, like [1] or [2][3]. Cite only the passages "
    "given. If the passages do not answer the question, reply exactly NOT_FOUND."
)


async def _llm_answer(
    app: App,
    corpus: Corpus,
    slots: list[int],
    terms: list[str],
    question: str,
    confidence: float,
) -> Answer | None:
    from tgassist.ai.base import AIError

    passages = []
    for slot in slots:
        doc = corpus.docs[slot]
        passages.append(doc.full_text[:1500] if doc else "")
    listing = "\n\n".join(f"[{i + 1}] {p}" for i, p in enumerate(passages))
    convo = [ChatMessage("system", PROMPT), ChatMessage("user", f"{listing}\n\nQ: {question}")]
    for attempt in range(2):
        try:
            result = await app.llm.complete(convo, temperature=0.0, max_tokens=400)
        except AIError as err:
            log.warning("ask: LLM failed; extractive answer", error=str(err))
            return None
        text = result.text.strip()
        if text.upper().startswith("NOT_FOUND"):
            return _not_found(confidence)
        problem = check_grounding(text, passages)
        if problem is None:
            cited = sorted({int(n) for n in CITATION_RE.findall(text)})
            renumber = {old: new for new, old in enumerate(cited, 1)}
            text = CITATION_RE.sub(partial(_renumbered, renumber), text)
            sources = tuple(
                _source(corpus, renumber[n], slots[n - 1], set(terms), passages[n - 1])
                for n in cited
            )
            return Answer(text, True, sources, "llm", confidence)
        log.info("ask: LLM answer rejected", attempt=attempt + 1, problem=problem)
        convo = [
            *convo,
            ChatMessage("assistant", text),
            ChatMessage(
                "user",
                f"That answer is not acceptable: {problem}. Answer again following the rules.",
            ),
        ]
    return None


def _renumbered(renumber: dict[int, int], m: re.Match[str]) -> str:
    return f"[{renumber[int(m.group(1))]}]"


def check_grounding(text: str, passages: list[str]) -> str | None:
    """None when every sentence cites given passages that support it; else what is wrong."""
    found = [s.strip() for s in re.split(r"(?<=[.!?。！？\]])\s+", text) if s.strip()]
    if not found:
        return "the answer is empty"
    for sentence in found:
        cites = [int(n) for n in CITATION_RE.findall(sentence)]
        if not cites:
            if len(analyze(CITATION_RE.sub("", sentence))) < 2:
                continue  # a stray fragment
            return f"the sentence {sentence[:80]!r} has no citation"
        bad = [n for n in cites if not 1 <= n <= len(passages)]
        if bad:
            return f"it cites [{bad[0]}], but only passages 1-{len(passages)} were given"
        claim = CITATION_RE.sub("", sentence)
        support = " ".join(passages[n - 1] for n in cites)
        claim_terms, support_terms = set(analyze(claim)), set(analyze(support))
        if claim_terms and len(claim_terms & support_terms) / len(claim_terms) < 0.5:
            return f"the sentence {sentence[:80]!r} is not supported by the passages it cites"
        nums = set(NUMBER_RE.findall(claim)) - set(NUMBER_RE.findall(support))
        if nums:
            return f"the number {sorted(nums)[0]} is not in the passages cited"
    return None


__all__ = ["Answer", "AnswerSource", "ask", "check_grounding", "clear_caches", "sentences"]
