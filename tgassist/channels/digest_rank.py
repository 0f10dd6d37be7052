"""Choosing a digest's items: relevance to the user's interests × freshness × engagement against
the channel's usual, reposts collapsed, diversity by MMR, at most N items per channel, and a
one-sentence extractive summary of each."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from tgassist.channels.ask import sentences
from tgassist.channels.corpus import Corpus, Doc
from tgassist.channels.interests import Profile
from tgassist.channels.lexical import analyze
from tgassist.channels.search import post_url

MMR_LAMBDA = 0.7
DUP_JACCARD = 0.8
SUMMARY_CHARS = 280
FRESH_HALF_LIFE_H = 24.0


@dataclass(frozen=True)
class DigestItem:
    post_id: int
    channel_id: int
    channel: str
    message_id: int
    url: str | None
    source_label: str
    summary: str
    score: float
    date: datetime


def summary_of(doc: Doc, profile: Profile) -> str:
    """The post's sentence that best matches the user's interests (else its first real one)."""
    found = sentences(doc.full_text)[:12]
    if not found:
        return doc.full_text.strip().replace("\n", " ")[:SUMMARY_CHARS]
    best = max(
        enumerate(found),
        key=lambda s: (profile.relevance(set(analyze(s[1]))), -s[0]),
    )[1]
    return best.replace("\n", " ")[:SUMMARY_CHARS]


def _channel_norms(corpus: Corpus, slots: np.ndarray) -> dict[int, float]:
    """The channel's usual engagement: median views+forwards*5+reactions*3 of its candidates."""
    per: dict[int, list[float]] = {}
    for slot in slots:
        doc = corpus.docs[int(slot)]
        if doc is not None:
            per.setdefault(doc.channel_id, []).append(_engagement(doc))
    return {c: float(np.median(v)) for c, v in per.items()}


def _engagement(doc: Doc) -> float:
    return doc.views + 5.0 * doc.forwards + 3.0 * doc.reactions


def rank_digest(
    corpus: Corpus,
    profile: Profile,
    *,
    channel_ids: tuple[int, ...],
    since: datetime,
    until: datetime,
    items: int,
    per_channel: int,
    topics: tuple[str, ...] = (),
) -> list[DigestItem]:
    mask = corpus.alive_mask() & np.isin(corpus.channel_col.view, list(channel_ids))
    mask &= corpus.ts_col.view > int(since.timestamp())
    mask &= corpus.ts_col.view <= int(until.timestamp())
    slots = np.flatnonzero(mask)
    if not len(slots):
        return []
    norms = _channel_norms(corpus, slots)
    topic_terms = {t for topic in topics for t in analyze(topic)}
    scored: list[tuple[float, int, frozenset[str]]] = []
    seen_albums: set[int] = set()
    for slot in slots:
        doc = corpus.docs[int(slot)]
        if doc is None or not doc.terms:
            continue
        if doc.album_id is not None:
            if doc.album_id in seen_albums:
                continue
            seen_albums.add(doc.album_id)
        terms = doc.term_set
        if topic_terms and not topic_terms & terms:
            continue
        relevance = 0.3 + profile.relevance(terms)
        if relevance <= 0:
            continue  # the user said 👎 to what this post is about
        age_h = max(0.0, (until - doc.date).total_seconds() / 3600)
        fresh = math.pow(0.5, age_h / FRESH_HALF_LIFE_H)
        usual = norms.get(doc.channel_id, 0.0)
        eng = _engagement(doc)
        engagement = min(2.0, max(0.5, (1 + eng) / (1 + usual))) if usual > 0 or eng > 0 else 1.0
        scored.append((relevance * (0.3 + fresh) * engagement, int(slot), terms))
    scored.sort(key=lambda s: -s[0])
    scored = scored[: items * 10]
    top = scored[0][0] if scored else 1.0
    chosen: list[tuple[float, int, frozenset[str]]] = []
    per: dict[int, int] = {}
    closest = [0.0] * len(scored)  # each candidate's highest similarity to a chosen item
    left = set(range(len(scored)))
    while left and len(chosen) < items:
        best_i = max(
            left, key=lambda i: MMR_LAMBDA * scored[i][0] / top - (1 - MMR_LAMBDA) * closest[i]
        )
        left.discard(best_i)
        score, pick, terms = scored[best_i]
        doc = corpus.docs[pick]
        assert doc is not None
        if closest[best_i] >= DUP_JACCARD:
            continue  # a repost of a chosen item
        if per.get(doc.channel_id, 0) >= per_channel:
            continue
        per[doc.channel_id] = per.get(doc.channel_id, 0) + 1
        chosen.append((score, pick, terms))
        for i in left:
            closest[i] = max(closest[i], _jaccard(terms, scored[i][2]))
    out = []
    for score, pick, _terms in chosen:
        doc = corpus.docs[pick]
        assert doc is not None
        ch = corpus.channels.get(doc.channel_id)
        username = ch.username if ch else None
        title = (ch.title if ch else None) or username or str(doc.channel_id)
        out.append(
            DigestItem(
                post_id=doc.post_id,
                channel_id=doc.channel_id,
                channel=f"@{username}" if username else title,
                message_id=doc.message_id,
                url=post_url(username, doc.message_id),
                source_label=f"{title}, {doc.date:%Y-%m-%d %H:%M} UTC",
                summary=summary_of(doc, profile),
                score=round(score, 6),
                date=doc.date,
            )
        )
    return out


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    inter = len(a & b)
    return inter / len(a | b) if inter else 0.0


__all__ = ["DigestItem", "rank_digest", "summary_of"]
