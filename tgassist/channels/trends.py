"""Emerging trends: lemmas and two-word key phrases whose share of posts in the window jumps
against the baseline days before it (a Poisson z-score on per-window counts), seen in at least
TGASSIST_CHANNELS_TRENDS_MIN_CHANNELS distinct channels; everyday topics with a steady share are
not trends. Each trend keeps its daily counts (for the chart) and sample posts from different
channels; the daily job stores every run (history)."""

from __future__ import annotations

import io
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tgassist.ai.text import lemma
from tgassist.channels.corpus import corpus_of
from tgassist.channels.lexical import word_terms, words
from tgassist.channels.read_errors import ReadError
from tgassist.channels.read_models import TrendRecord

if TYPE_CHECKING:
    from tgassist.app import App

MIN_COUNT = 3
MIN_RATIO = 2.5
MIN_Z = 2.5
MAX_TRENDS = 20
SAMPLES = 5
MAX_WINDOW_H = 24 * 14
MAX_BASELINE_D = 90


@dataclass(frozen=True)
class Trend:
    label: str
    terms: tuple[str, ...]
    score: float
    channels: tuple[int, ...]
    post_ids: tuple[int, ...]
    window_count: int
    baseline_mean: float
    daily_counts: tuple[int, ...]
    days: tuple[str, ...]


def _phrases(terms: list[str]) -> set[str]:
    """A post's stems and pairs of neighbouring stems (numbers and short stems left out)."""
    kept = [t for t in terms if len(t) > 2 and not t.isdigit()]
    out = set(kept)
    out.update(f"{a} {b}" for a, b in zip(kept, kept[1:], strict=False) if a != b)
    return out


def readable(term: str, texts: list[str]) -> str:
    """The lemmatised words behind a stem or stem pair, as they appear in these posts."""
    want = term.split()
    seen: Counter[str] = Counter()
    for text in texts:
        found = [w for w, _s, _e in words(text) if word_terms(w)]
        stems = [word_terms(w)[0] for w in found]
        for i in range(len(stems) - len(want) + 1):
            if stems[i : i + len(want)] == want:
                seen[" ".join(lemma(w) for w in found[i : i + len(want)])] += 1
    return seen.most_common(1)[0][0] if seen else term


async def find_trends(
    app: App,
    *,
    until: datetime | None = None,
    window_hours: int | None = None,
    baseline_days: int | None = None,
    min_channels: int | None = None,
) -> list[Trend]:
    """Trends of the window ending `until` (default now), best first."""
    s = app.settings
    until = until or datetime.now(UTC)
    wh = s.channels_trends_window_hours if window_hours is None else window_hours
    bd = s.channels_trends_baseline_days if baseline_days is None else baseline_days
    if not 1 <= wh <= MAX_WINDOW_H or not 1 <= bd <= MAX_BASELINE_D:
        raise ReadError("search.trends.window_invalid", max=MAX_WINDOW_H, max_days=MAX_BASELINE_D)
    need = min_channels or s.channels_trends_min_channels
    start = until - timedelta(hours=wh)
    base_start = start - timedelta(days=bd)
    corpus = await corpus_of(app)
    ts = corpus.ts_col.view
    slots = np.flatnonzero(
        corpus.alive_mask() & (ts > int(base_start.timestamp())) & (ts <= int(until.timestamp()))
    )
    buckets = max(1, round(bd * 24 / wh))  # baseline windows of the same length
    day0 = base_start.date()
    ndays = (until.date() - day0).days + 1
    start_ts = int(start.timestamp())
    day0_ts = int(datetime.combine(day0, datetime.min.time(), UTC).timestamp())
    in_window: Counter[str] = Counter()
    in_base: Counter[str] = Counter()
    chans: defaultdict[str, set[int]] = defaultdict(set)
    posts: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    daily: defaultdict[str, list[int]] = defaultdict(lambda: [0] * ndays)
    for slot in slots:
        doc = corpus.docs[int(slot)]
        if doc is None or not doc.text:
            continue
        terms = _phrases(doc.terms)
        when = int(ts[slot])
        day = (when - day0_ts) // 86400
        if when > start_ts:
            in_window.update(terms)
            for t in terms:
                chans[t].add(doc.channel_id)
                posts[t].append((doc.channel_id, doc.post_id))
                daily[t][day] += 1
        else:
            in_base.update(terms)
            if 0 <= day < ndays:
                for t in terms:
                    daily[t][day] += 1
    found: list[Trend] = []
    for t, w in in_window.items():
        if w < MIN_COUNT or len(chans[t]) < need:
            continue
        mean = in_base[t] / buckets
        if w < MIN_RATIO * (mean + 0.5):
            continue
        z = (w - mean) / math.sqrt(mean + 1.0)
        if z < MIN_Z:
            continue
        found.append(
            Trend(
                label=t,  # made readable below, for the trends kept
                terms=tuple(t.split()),
                score=round(z * math.log1p(len(chans[t])), 4),
                channels=tuple(sorted(chans[t])),
                post_ids=_samples(posts[t]),
                window_count=w,
                baseline_mean=round(mean, 3),
                daily_counts=tuple(daily[t]),
                days=tuple((day0 + timedelta(days=i)).isoformat() for i in range(ndays)),
            )
        )
    found.sort(key=lambda tr: (-tr.score, tr.label))
    out = []
    for tr in _merge(found)[:MAX_TRENDS]:
        texts = [d.text for d in (corpus.doc(p) for p in tr.post_ids) if d is not None]
        label = readable(tr.label, texts)
        out.append(replace(tr, label=label, terms=tuple(label.split())))
    return out


def _samples(items: list[tuple[int, int]]) -> tuple[int, ...]:
    """Newest post of each channel first, then more, up to SAMPLES."""
    by_channel: dict[int, list[int]] = defaultdict(list)
    for ch, pid in sorted(items, key=lambda x: -x[1]):
        by_channel[ch].append(pid)
    out: list[int] = []
    while len(out) < SAMPLES and any(by_channel.values()):
        for ch in list(by_channel):
            if by_channel[ch] and len(out) < SAMPLES:
                out.append(by_channel[ch].pop(0))
    return tuple(out)


def _merge(trends: list[Trend]) -> list[Trend]:
    """A word trend whose posts are those of a phrase trend is that phrase: keep the phrase."""
    phrases = [t for t in trends if len(t.terms) > 1]
    out: list[Trend] = []
    for t in trends:
        if len(t.terms) == 1 and any(
            t.terms[0] in p.terms and p.window_count >= 0.6 * t.window_count for p in phrases
        ):
            continue
        if len(t.terms) > 1 and any(
            set(t.terms) == set(o.terms) and o is not t and o in out for o in out
        ):
            continue
        out.append(t)
    return out


async def run_daily(app: App, now: datetime | None = None) -> int:
    """The daily job (00:00 UTC): find the day's trends and keep them (history)."""
    until = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    trends = await find_trends(app, until=until)
    wh = app.settings.channels_trends_window_hours
    saved = 0
    for t in trends:
        try:
            async with app.db.session() as session:
                session.add(
                    TrendRecord(
                        window_end=until,
                        window_hours=wh,
                        label=t.label,
                        terms=list(t.terms),
                        score=t.score,
                        channels=list(t.channels),
                        post_ids=list(t.post_ids),
                        daily_counts=list(t.daily_counts),
                    )
                )
            saved += 1
        except IntegrityError:  # this run already stored it
            continue
    return saved


async def history(app: App, limit: int = 50) -> list[TrendRecord]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(TrendRecord)
            .order_by(TrendRecord.window_end.desc(), TrendRecord.score.desc())
            .limit(limit)
        )
        return list(rows)


def chart_png(trend: Trend) -> bytes:
    """A PNG of the trend's daily counts (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3), dpi=100)
    ax = fig.subplots()
    days = [d[5:] for d in trend.days]
    ax.bar(days, trend.daily_counts, color="#3b82f6")
    ax.set_title(trend.label)
    ax.set_ylabel("posts")
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


__all__ = ["Trend", "chart_png", "find_trends", "history", "run_daily"]
