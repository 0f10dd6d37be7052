"""Recommendations: "more like this" for a post, and "you may have missed" from a user's interests
(posts of the followed channels not yet in their digests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select

from tgassist.channels.corpus import corpus_of
from tgassist.channels.interests import load_profile
from tgassist.channels.read_errors import ReadError
from tgassist.channels.read_models import DigestDelivery
from tgassist.channels.scope import followed_channel_ids
from tgassist.channels.search import SearchHit, hit_of

if TYPE_CHECKING:
    from tgassist.app import App

DUP_JACCARD = 0.8


async def more_like_this(
    app: App, post_id: int, *, channel_ids: tuple[int, ...] | None = None, limit: int = 5
) -> list[SearchHit]:
    """Posts closest in meaning (and words) to `post_id`, itself, its album and reposts excluded."""
    corpus = await corpus_of(app)
    doc = corpus.doc(post_id)
    if doc is None:
        raise ReadError("search.post_unknown", post_id=post_id)
    slot = corpus.slot_of[post_id]
    mask = corpus.alive_mask()
    if channel_ids is not None:
        mask &= np.isin(corpus.channel_col.view, list(channel_ids))
    lex = corpus.lexical.scores(list(dict.fromkeys(doc.terms))[:40])
    top = float(lex.max()) or 1.0
    score = 0.3 * lex / top
    if corpus.has_vec.view[slot]:
        score = score + 0.7 * (corpus.vec_col.view @ corpus.vec_col.view[slot])
    score = np.where(mask, score, -np.inf)
    score[slot] = -np.inf
    if doc.album_id is not None:
        score[corpus.album_col.view == doc.album_id] = -np.inf
    mine = set(doc.terms)
    out: list[SearchHit] = []
    albums: set[int] = set()
    for cand in np.argsort(-score)[: limit * 10]:
        if not np.isfinite(score[cand]) or len(out) == limit:
            break
        other = corpus.docs[int(cand)]
        if other is None:
            continue
        terms = set(other.terms)
        if mine and len(mine & terms) / max(len(mine | terms), 1) >= DUP_JACCARD:
            continue  # a repost of the same post
        if other.album_id is not None:
            if other.album_id in albums:
                continue
            albums.add(other.album_id)
        out.append(hit_of(corpus, int(cand), float(score[cand]), mine, []))
    return out


async def you_may_have_missed(
    app: App, user_id: int, *, days: int = 7, limit: int = 5, now: datetime | None = None
) -> list[SearchHit]:
    """Posts of the user's channels of the last `days` that best match their interests and were
    not in a digest they received."""
    now = now or datetime.now(UTC)
    corpus = await corpus_of(app)
    channels = await followed_channel_ids(app, user_id)
    if not channels:
        return []
    profile = await load_profile(app, user_id)
    async with app.db.session() as session:
        sent = {
            int(i["post_id"])
            for items in await session.scalars(
                select(DigestDelivery.items).where(
                    DigestDelivery.user_id == user_id,
                    DigestDelivery.created_at >= now - timedelta(days=days + 1),
                )
            )
            for i in (items or [])
        }
    mask = corpus.alive_mask() & np.isin(corpus.channel_col.view, list(channels))
    mask &= corpus.ts_col.view >= int((now - timedelta(days=days)).timestamp())
    ranked = []
    for slot in np.flatnonzero(mask):
        doc = corpus.docs[int(slot)]
        if doc is None or doc.post_id in sent:
            continue
        rel = profile.relevance(set(doc.terms))
        if rel > 0:
            ranked.append((rel, int(slot)))
    ranked.sort(key=lambda r: -r[0])
    terms = {t for t, w in profile.weights.items() if w > 0}
    return [hit_of(corpus, slot, rel, terms, []) for rel, slot in ranked[:limit]]


__all__ = ["more_like_this", "you_may_have_missed"]
