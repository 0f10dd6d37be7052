"""Per-user interest profiles: terms from the channels a user follows, the topics they choose, and
their 👍/👎 on digest items. The interest-sync job rebuilds the follows and feedback parts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from tgassist.channels.corpus import corpus_of
from tgassist.channels.lexical import analyze
from tgassist.channels.read_errors import ReadError
from tgassist.channels.read_models import PostFeedback, UserInterest
from tgassist.channels.scope import followed_channel_ids
from tgassist.core.models import User

if TYPE_CHECKING:
    from tgassist.app import App

FOLLOW_TERMS = 30  # per user, from the followed channels' last 30 days
FEEDBACK_WEIGHT = 0.7
TOPIC_WEIGHT = 1.0
FOLLOW_WEIGHT = 0.3


@dataclass(frozen=True)
class Profile:
    """term → weight (negative: the user does not want it)."""

    user_id: int
    weights: dict[str, float]
    topics: tuple[str, ...]

    def relevance(self, terms: set[str] | frozenset[str]) -> float:
        """Share of the profile's positive weight the terms cover, minus the negative part."""
        if not self.weights:
            return 0.0
        pos = sum(w for w in self.weights.values() if w > 0) or 1.0
        got = sum(self.weights.get(t, 0.0) for t in terms)
        return max(-1.0, min(1.0, got / pos))


async def load_profile(app: App, user_id: int) -> Profile:
    return (await load_profiles(app, [user_id]))[user_id]


async def load_profiles(app: App, user_ids: list[int]) -> dict[int, Profile]:
    """Profiles of many users in one query."""
    rows: list = []
    async with app.db.session() as session:
        for start in range(0, len(user_ids), 500):
            rows += (
                await session.execute(
                    select(
                        UserInterest.user_id,
                        UserInterest.term,
                        UserInterest.source,
                        UserInterest.weight,
                    ).where(UserInterest.user_id.in_(user_ids[start : start + 500]))
                )
            ).all()
    weights: dict[int, dict[str, float]] = {u: {} for u in user_ids}
    topics: dict[int, list[str]] = {u: [] for u in user_ids}
    for r in rows:
        w = weights[r.user_id]
        if r.source == "topic":
            topics[r.user_id].append(r.term)
            for t in analyze(r.term):
                w[t] = w.get(t, 0.0) + r.weight
        else:
            w[r.term] = w.get(r.term, 0.0) + r.weight
    return {u: Profile(u, weights[u], tuple(sorted(topics[u]))) for u in user_ids}


async def set_topics(app: App, user_id: int, topics: list[str]) -> Profile:
    """Replace the topics a user chose (each 2–60 characters)."""
    clean = sorted({t.strip().lower() for t in topics if t.strip()})
    if any(not 2 <= len(t) <= 60 or not analyze(t) for t in clean):
        raise ReadError("search.topic_invalid")
    async with app.db.session() as session:
        await session.execute(
            delete(UserInterest).where(
                UserInterest.user_id == user_id, UserInterest.source == "topic"
            )
        )
        for t in clean:
            session.add(UserInterest(user_id=user_id, term=t, source="topic", weight=TOPIC_WEIGHT))
    return await load_profile(app, user_id)


async def record_feedback(app: App, user_id: int, post_id: int, value: int) -> None:
    """👍 (+1) or 👎 (-1) on a post; a second press replaces the first. Folded in by the sync."""
    from tgassist.channels.models import Post

    if value not in (1, -1):
        raise ReadError("search.feedback.invalid")
    async with app.db.session() as session:
        if await session.get(Post, post_id) is None:
            raise ReadError("search.post_unknown", post_id=post_id)
        row = await session.scalar(
            select(PostFeedback).where(
                PostFeedback.user_id == user_id, PostFeedback.post_id == post_id
            )
        )
        if row is None:
            session.add(PostFeedback(user_id=user_id, post_id=post_id, value=value))
        else:
            row.value = value
    await sync_user(app, user_id)


async def sync_user(app: App, user_id: int, now: datetime | None = None) -> int:
    """Rebuild the follows and feedback parts of one profile; returns its number of terms."""
    now = now or datetime.now(UTC)
    corpus = await corpus_of(app)
    channels = set(await followed_channel_ids(app, user_id))
    since = int((now - timedelta(days=30)).timestamp())
    follow_counts: Counter[str] = Counter()
    if channels:
        import numpy as np

        sel = np.flatnonzero(
            corpus.alive_mask()
            & np.isin(corpus.channel_col.view, list(channels))
            & (corpus.ts_col.view >= since)
        )
        for slot in sel[-2000:]:
            doc = corpus.docs[int(slot)]
            if doc is not None:
                follow_counts.update(set(doc.terms))
    common = {t for t, c in follow_counts.items() if corpus.lexical.df.get(t, 0) > 0}
    follow = {
        t: FOLLOW_WEIGHT * c / max(follow_counts.values())
        for t, c in follow_counts.most_common(FOLLOW_TERMS * 3)
        if t in common and len(t) > 2
    }
    follow = dict(sorted(follow.items(), key=lambda kv: -kv[1])[:FOLLOW_TERMS])
    feedback: dict[str, float] = {}
    async with app.db.session() as session:
        marks = (
            await session.execute(
                select(PostFeedback.post_id, PostFeedback.value).where(
                    PostFeedback.user_id == user_id
                )
            )
        ).all()
        for m in marks:
            doc = corpus.doc(m.post_id)
            if doc is None:
                continue
            for t, _c in Counter(doc.terms).most_common(8):
                feedback[t] = feedback.get(t, 0.0) + FEEDBACK_WEIGHT * m.value
        await session.execute(
            delete(UserInterest).where(
                UserInterest.user_id == user_id, UserInterest.source.in_(("follows", "feedback"))
            )
        )
        for source, part in (("follows", follow), ("feedback", feedback)):
            for t, w in part.items():
                if abs(w) > 1e-6:
                    session.add(
                        UserInterest(user_id=user_id, term=t[:100], source=source, weight=w)
                    )
    return len(follow) + len(feedback)


async def sync_all(app: App) -> int:
    """The interest-sync job: every active user's profile; returns how many were synced."""
    async with app.db.session() as session:
        users = list(await session.scalars(select(User.id).where(User.is_active.is_(True))))
    for uid in users:
        await sync_user(app, uid)
    return len(users)


__all__ = [
    "Profile",
    "load_profile",
    "load_profiles",
    "record_feedback",
    "set_topics",
    "sync_all",
    "sync_user",
]
